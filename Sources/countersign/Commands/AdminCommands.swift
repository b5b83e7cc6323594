import ArgumentParser
import CountersignStore
import Foundation

struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Operator tasks on the gateway's data.",
        subcommands: [AdminBackup.self]
    )
}

struct AdminBackup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the live database consistently to FILE while the gateway keeps running.",
        discussion: "Uses SQLite's online backup API on a read-only connection, so the copy is a single consistent snapshot even while requests are being written. FILE must not exist; it is created with mode 0600. Run it on the gateway host, as a user who can read the data directory."
    )

    @Option(help: "The gateway's database file.") var db = "data/countersign.sqlite"
    @Argument(help: "Where to write the copy.") var file: String

    func run() async throws {
        try await reportingFailures {
            let store = try OfflineAudit.open(db)
            try await OfflineAudit.run { try await store.backup(to: file) }
            let verification = try await OfflineAudit.run { try await SQLiteStore.openReadOnly(path: file).auditHead() }
            print("Backed up \(db) to \(file) (audit head: sequence \(verification?.sequence ?? 0)).")
        }
    }
}
