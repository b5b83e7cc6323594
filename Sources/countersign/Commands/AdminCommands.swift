import ArgumentParser
import CountersignAPI
import CountersignSQLite
import CountersignStore
import Foundation

struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Operator tasks on the gateway's data.",
        subcommands: [AdminBackup.self, AdminInvite.self, AdminRemoveKey.self, AdminToken.self, AdminRevocationList.self, AdminRotateCA.self, AdminDistrustCA.self, AdminRotateTokenKey.self, AdminDistrustTokenKey.self]
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

struct AdminInvite: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invite",
        abstract: "Make a one-time code with which USER may enrol a hardware security key (admins group).",
        discussion: "The code is printed once and lasts 24 hours; the gateway keeps only its hash. Give it to the user by a channel you trust: whoever holds it can enrol a key as them, once."
    )

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Who may enrol a key with the code.") var user: String

    func run() async throws {
        try await reportingFailures {
            let invite = try await gateway.client().post("/v1/admin/invites", body: InviteBody(username: user), as: InviteView.self)
            if output.json { return try JSONOutput.print(invite) }
            print("Invite for \(invite.username), valid until \(TextFormat.time(invite.expiresAt)):")
            print(invite.code)
        }
    }
}

struct AdminRemoveKey: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove-key",
        abstract: "Remove USER's hardware key KEY-ID (admins group; audited), e.g. when it is lost.",
        discussion: "KEY-ID is the credential id as `GET /v1/keys` lists it (base64url); put `--` before USER when it begins with '-'. Users remove their own keys with a touch of another key."
    )

    @OptionGroup var gateway: GatewayOptions
    @Argument(help: "Whose key.") var user: String
    @Argument(help: "The key's credential id (base64url).") var keyID: String

    func validate() throws {
        let base64URL = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        guard !keyID.isEmpty, keyID.count <= 1400, keyID.allSatisfy(base64URL.contains) else {
            throw ValidationError("KEY-ID must be a credential id in base64url, as `countersign` lists keys")
        }
    }

    func run() async throws {
        try await reportingFailures {
            try await gateway.client().delete("/v1/users/\(PathSegment.encode(user))/keys/\(keyID)")
            print("Removed \(user)'s key \(keyID.prefix(12))….")
        }
    }
}
