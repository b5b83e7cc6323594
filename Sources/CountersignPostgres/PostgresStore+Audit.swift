import CountersignCore
import CountersignStore
import Crypto
import Foundation
import Keyring
import PostgresNIO

extension PostgresStore: AuditLog {
    /// The most records one `auditRecords` call returns, as on SQLite.
    public static let maximumAuditPage = 1000

    public var committedAuditEvents: Int { auditTally.count }

    public func appendAudit(_ events: [AuditEvent]) async throws -> [AuditRecord] {
        guard !events.isEmpty else { return [] }
        let records = try await transaction { connection in try await append(events, on: connection) }
        auditTally.add(records.count)
        return records
    }

    /// Appends inside the caller's transaction, holding the chain's head until it commits: the
    /// serialisation point of every gateway on this database. A caller counts the records once
    /// its transaction has committed.
    func append(_ events: [AuditEvent], on connection: PostgresConnection) async throws -> [AuditRecord] {
        guard !events.isEmpty else { return [] }
        var (sequence, previousHash): (Int64, [UInt8]) = (0, AuditChain.genesisHash)
        for try await (headSequence, headHash) in try await connection.query(
            "SELECT sequence, hash FROM audit_head WHERE id = 1 FOR UPDATE", logger: logger
        ).decode((Int64, Data).self) {
            (sequence, previousHash) = (headSequence, Array(headHash))
        }
        var records: [AuditRecord] = []
        for event in events {
            sequence += 1
            let record = AuditRecord(
                sequence: sequence, event: event, previousHash: previousHash,
                hash: AuditChain.hash(sequence: sequence, event: event, previousHash: previousHash)
            )
            records.append(record)
            previousHash = record.hash
        }
        // One statement for every event and the new head: each round trip here is made with the
        // chain's head locked, so it is a round trip every gateway waits for.
        try await connection.query("""
            WITH appended AS (
                INSERT INTO audit_events (sequence, time, actor, action, subject, details, previous_hash, hash)
                SELECT * FROM unnest(
                    \(records.map(\.sequence))::bigint[], \(records.map { $0.event.time.millisecondsSinceEpoch })::bigint[],
                    \(records.map(\.event.actor))::text[], \(records.map(\.event.action.rawValue))::text[],
                    \(records.map(\.event.subject))::text[], \(records.map { StoredJSON.encode($0.event.details) })::text[],
                    \(records.map { ByteBuffer(bytes: $0.previousHash) })::bytea[], \(records.map { ByteBuffer(bytes: $0.hash) })::bytea[]
                )
            )
            UPDATE audit_head SET sequence = \(sequence), hash = \(Data(previousHash)) WHERE id = 1
            """, logger: logger)
        return records
    }

    public func auditRecords(after sequence: Int64, limit: Int) async throws -> [AuditRecord] {
        guard (1...Self.maximumAuditPage).contains(limit) else {
            throw StoreError(.invalidQuery, "limit must be between 1 and \(Self.maximumAuditPage)")
        }
        return try await read { connection in
            try await Self.records(connection.query("""
                SELECT sequence, time, actor, action, subject, details, previous_hash, hash FROM audit_events
                WHERE sequence > \(sequence) ORDER BY sequence LIMIT \(limit)
                """, logger: logger))
        }
    }

    public func auditHead() async throws -> AuditRecord? {
        try await read { connection in try await head(on: connection) }
    }

    func head(on connection: PostgresConnection) async throws -> AuditRecord? {
        try await Self.records(connection.query("""
            SELECT sequence, time, actor, action, subject, details, previous_hash, hash FROM audit_events
            ORDER BY sequence DESC LIMIT 1
            """, logger: logger)).first
    }

    public func recordCheckpoint(signingKey: any SigningKey, at now: Date, spacing: TimeInterval?) async throws -> AuditCheckpoint? {
        let checkpoint = try await transaction { connection -> AuditCheckpoint? in
            // Lock the head first, so the head read below is the one this checkpoint signs.
            try await connection.query("SELECT 1 FROM audit_head WHERE id = 1 FOR UPDATE", logger: logger)
            guard let head = try await head(on: connection) else { return nil }
            var last: AuditCheckpoint.Last?
            for try await (sequence, signedAt) in try await connection.query(
                "SELECT sequence, signed_at FROM audit_checkpoints ORDER BY sequence DESC LIMIT 1", logger: logger
            ).decode((Int64, Int64).self) {
                last = AuditCheckpoint.Last(sequence: sequence, signedAt: Date(millisecondsSinceEpoch: signedAt))
            }
            guard AuditCheckpoint.isDue(head: head, last: last, at: now, spacing: spacing) else { return nil }
            let checkpoint = try AuditCheckpoint.sign(sequence: head.sequence, headHash: head.hash, at: now, with: signingKey.signature(for:))
            try await connection.query("""
                INSERT INTO audit_checkpoints (sequence, head_hash, signed_at, signature)
                VALUES (\(checkpoint.sequence), \(Data(checkpoint.headHash)), \(checkpoint.signedAt.millisecondsSinceEpoch), \(Data(checkpoint.signature)))
                """, logger: logger)
            _ = try await append([AuditEvent(
                time: now, actor: AuditEvent.systemActor, action: .auditCheckpoint, subject: "audit",
                details: [
                    "sequence": String(checkpoint.sequence),
                    "head_hash": checkpoint.headHash.hexString,
                    "signature": checkpoint.signature.hexString,
                ]
            )], on: connection)
            return checkpoint
        }
        if checkpoint != nil { auditTally.add(1) }
        return checkpoint
    }

    public func checkpoints() async throws -> [AuditCheckpoint] {
        try await read { connection in try await checkpoints(on: connection) }
    }

    private func checkpoints(on connection: PostgresConnection) async throws -> [AuditCheckpoint] {
        var checkpoints: [AuditCheckpoint] = []
        for try await (sequence, headHash, signedAt, signature) in try await connection.query(
            "SELECT sequence, head_hash, signed_at, signature FROM audit_checkpoints ORDER BY sequence", logger: logger
        ).decode((Int64, Data, Int64, Data).self) {
            guard headHash.count == 32, signature.count == 64 else {
                throw StoreError.corruptRow(table: "audit_checkpoints", key: String(sequence), "a hash or signature of the wrong length")
            }
            checkpoints.append(AuditCheckpoint(
                sequence: sequence, headHash: Array(headHash), signedAt: Date(millisecondsSinceEpoch: signedAt), signature: Array(signature)
            ))
        }
        return checkpoints
    }

    /// Reads the log in one repeatable-read snapshot, page by page: constant memory whatever its
    /// length, and a consistent view while gateways keep appending.
    public func verifyAudit(publicKey: Curve25519.Signing.PublicKey) async throws -> AuditVerification {
        try await read { connection in
            try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            do {
                let verification = try await verify(on: connection, publicKey: publicKey)
                try await connection.query("COMMIT", logger: logger)
                return verification
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    private func verify(on connection: PostgresConnection, publicKey: Curve25519.Signing.PublicKey) async throws -> AuditVerification {
        let checkpoints = try await checkpoints(on: connection)
        var verifier = AuditChainVerifier(checkpointSequences: Set(checkpoints.map(\.sequence)))
        func outcome(_ fault: AuditFault?) -> AuditVerification {
            AuditVerification(recordsVerified: verifier.lastSequence, checkpointCount: checkpoints.count, fault: fault)
        }
        var after: Int64 = 0
        while true {
            let (page, unreadable) = try await Self.recordsUpToDamage(connection.query("""
                SELECT sequence, time, actor, action, subject, details, previous_hash, hash FROM audit_events
                WHERE sequence > \(after) ORDER BY sequence LIMIT \(Self.maximumAuditPage)
                """, logger: logger))
            for record in page {
                if let fault = verifier.check(record) { return outcome(fault) }
            }
            if let unreadable {
                // A row that no longer reads was edited as surely as one whose hash differs.
                return outcome(AuditFault(sequence: verifier.lastSequence + 1, kind: .contentMismatch, message: unreadable.message))
            }
            guard let last = page.last, page.count == Self.maximumAuditPage else { break }
            after = last.sequence
        }
        return outcome(verifier.check(checkpoints, publicKey: publicKey))
    }

    private static func records(_ rows: PostgresRowSequence) async throws -> [AuditRecord] {
        let (records, unreadable) = try await recordsUpToDamage(rows)
        if let unreadable { throw unreadable }
        return records
    }

    /// The records that read, in order, up to the first that does not, and that one's error.
    private static func recordsUpToDamage(_ rows: PostgresRowSequence) async throws -> ([AuditRecord], StoreError?) {
        var records: [AuditRecord] = []
        for try await (sequence, time, actor, action, subject, details, previousHash, hash) in rows.decode(
            (Int64, Int64, String, String, String, String, Data, Data).self
        ) {
            guard previousHash.count == 32, hash.count == 32, let map = try? StoredJSON.decode([String: String].self, from: details) else {
                return (records, StoreError.corruptRow(table: "audit_events", key: String(sequence), "a hash or the details do not read"))
            }
            records.append(AuditRecord(
                sequence: sequence,
                event: AuditEvent(
                    time: Date(millisecondsSinceEpoch: time), actor: actor, action: AuditAction(rawValue: action),
                    subject: subject, details: map
                ),
                previousHash: Array(previousHash), hash: Array(hash)
            ))
        }
        return (records, nil)
    }
}
