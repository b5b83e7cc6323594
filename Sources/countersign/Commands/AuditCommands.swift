import ApprovalVerification
import ArgumentParser
import CountersignAPI
import CountersignCore
import CountersignSQLite
import CountersignStore
import Crypto
import Foundation
import Keyring

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Read, export and verify the hash-chained audit log (auditors group).",
        subcommands: [AuditTail.self, AuditExport.self, AuditVerify.self, AuditVerifyApprovals.self]
    )
}

struct AuditTail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tail", abstract: "Show the latest audit events.")

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions
    @Option(name: [.customShort("n"), .long], help: "How many events (1-1000).") var lines = 20

    func run() async throws {
        try await reportingFailures {
            let page = try await gateway.client().get("/v1/audit?last=\(lines)", as: AuditPageView.self)
            for event in page.events {
                if output.json {
                    try JSONOutput.printLine(event)
                } else {
                    let details = event.details.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                    print("\(event.sequence)  \(TextFormat.time(event.time))  \(event.actor)  \(event.action)  \(event.subject)  \(details)")
                }
            }
        }
    }
}

struct AuditExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write every audit event as JSON Lines, through the API or offline from a database file."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case jsonl }

    @OptionGroup var gateway: GatewayOptions
    @Option(help: "Output format.") var format: Format = .jsonl
    @Option(help: "Read this SQLite file directly (read-only) instead of asking the gateway.") var db: String?
    @Option(help: "Start after this sequence number.") var after: Int64 = 0

    func run() async throws {
        try await reportingFailures {
            var cursor = after
            if let db {
                let store = try OfflineAudit.open(db)
                while true {
                    let records = try await OfflineAudit.run { try await store.auditRecords(after: cursor, limit: 1000) }
                    for record in records { try JSONOutput.printLine(AuditEventView(record)) }
                    guard let last = records.last, records.count == 1000 else { return }
                    cursor = last.sequence
                }
            }
            let client = try gateway.client()
            while true {
                let page = try await client.get("/v1/audit?after=\(cursor)&limit=1000", as: AuditPageView.self)
                for event in page.events { try JSONOutput.printLine(event) }
                guard let next = page.nextAfter else { return }
                cursor = next
            }
        }
    }
}

struct AuditVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute the audit hash chain and check the signed checkpoints.",
        discussion: "Exits 0 when intact, 1 naming the first bad sequence number otherwise. Offline with --db (needs the checkpoint public key, by default checkpoint-signing.pub beside the database)."
    )

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Verify this SQLite file directly (read-only) instead of asking the gateway.") var db: String?
    @Option(help: "Checkpoint public key file for --db.") var publicKey: String?

    func run() async throws {
        try await reportingFailures {
            let result: AuditVerificationView
            if let db {
                let store = try OfflineAudit.open(db)
                let keyPath = publicKey ?? FileKeyring(directory: URL(fileURLWithPath: db).deletingLastPathComponent().path).publicKeyPath(for: .auditCheckpoint)
                let key = try await OfflineAudit.run { try PublicKeyFile.load(keyPath) }
                let verification = try await OfflineAudit.run { try await store.verifyAudit(publicKey: key) }
                result = AuditVerificationView(
                    ok: verification.isIntact, verifiedEvents: verification.recordsVerified, checkpoints: verification.checkpointCount,
                    firstFault: verification.fault.map { AuditFaultView(sequence: $0.sequence, kind: $0.kind.rawValue, message: $0.message) }
                )
            } else {
                result = try await gateway.client().get("/v1/audit/verify", as: AuditVerificationView.self)
            }
            if output.json { try JSONOutput.print(result) }
            if let fault = result.firstFault {
                throw CLIFailure.refused("audit log does NOT verify: first bad sequence number \(fault.sequence) (\(fault.kind)): \(fault.message)")
            }
            if !output.json { print("Audit log intact: \(result.verifiedEvents) events, \(result.checkpoints) signed checkpoints verified.") }
        }
    }
}

struct AuditVerifyApprovals: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-approvals",
        abstract: "Re-verify every hardware-key approval against the content of the request it approved.",
        discussion: """
        For each approval the challenge is re-derived from the stored request (its content digest), the \
        approver and the recorded nonce, and the recorded signature is checked with the recorded public \
        key. Exits 0 when every approval verifies, 1 naming each one that does not. Offline with --db, \
        trusting nothing in the file but those bytes.
        """
    )

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Verify this SQLite file directly (read-only) instead of asking the gateway.") var db: String?

    func run() async throws {
        try await reportingFailures {
            let result: ApprovalVerificationView
            if let db {
                let store = try OfflineAudit.open(db)
                result = ApprovalVerificationView(try await OfflineAudit.run { try await ApprovalVerifier.verify(store) })
            } else {
                result = try await gateway.client().get("/v1/audit/verify-approvals", as: ApprovalVerificationView.self)
            }
            if output.json { try JSONOutput.print(result) }
            guard result.ok else {
                let named = result.faults.map { fault in
                    let which = fault.position.map { ", approval \($0) by \(fault.approver ?? "?")" } ?? ""
                    return "request \(fault.requestId)\(which): \(fault.code): \(fault.message)"
                }
                throw CLIFailure.refused("approvals do NOT verify:\n  " + named.joined(separator: "\n  "))
            }
            if !output.json {
                print("Approvals verified: \(result.approvalsVerified) with hardware keys (\(result.sessionApprovals) session approvals need no key) across \(result.requestsRead) requests.")
            }
        }
    }
}

extension AuditEventView {
    init(_ record: AuditRecord) {
        self.init(
            sequence: record.sequence, time: record.event.time, actor: record.event.actor, action: record.event.action.rawValue,
            subject: record.event.subject, details: record.event.details,
            previousHash: record.previousHash.hexString, hash: record.hash.hexString
        )
    }
}

/// Reading a database file directly: read-only, never migrating, errors as input failures.
enum OfflineAudit {
    static func open(_ path: String) throws(CLIFailure) -> any GatewayStore {
        guard FileManager.default.fileExists(atPath: path) else { throw .input("no database at \(path)") }
        do {
            return try SQLiteStore.openReadOnly(path: path)
        } catch {
            throw .input("cannot read \(path) as a Countersign database: \(error)")
        }
    }

    static func run<Value>(_ body: () async throws -> Value) async throws(CLIFailure) -> Value {
        do {
            return try await body()
        } catch {
            throw .input("\(error)")
        }
    }
}
