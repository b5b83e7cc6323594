import ArgumentParser
import CountersignAPI
import CountersignCore
import CountersignPolicyFiles
import Foundation

struct AdminToken: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Machine tokens: deploy tooling's own credentials (admins group).",
        discussion: """
        A pipeline authenticates as itself with a machine token, never with a person's session.
        Give the secret to the pipeline as COUNTERSIGN_TOKEN: the CLI then presents it instead of
        any saved login. A machine token is accepted only by the deploy gate, for the scopes and
        services it was made for; every other command refuses it. Making and revoking are audited;
        every use is attributed to machine:NAME.
        """,
        subcommands: [AdminTokenCreate.self, AdminTokenList.self, AdminTokenRevoke.self]
    )
}

/// A token's lifetime as `30d`, `12h` or `1d12h`, read once.
struct TokenLifetime: ExpressibleByArgument {
    let seconds: Int

    init?(argument: String) {
        guard let seconds = PolicyDuration.seconds(from: argument) else { return nil }
        self.seconds = seconds
    }
}

struct AdminTokenCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Make a machine token; its secret is printed once.",
        discussion: """
        Scopes: deploy:check (ask the deploy gate whether a rollout is approved) and deploy:consume
        (record the start of a single-use rollout). With --service the token acts only for services
        matching one of the globs (*, ?, [a-z]); without it, for any service. It expires after
        --expires-in (default 90d, at most 365d). The name is taken for ever, even after
        revocation, so that machine:NAME in the audit log always means one token.

        Example:
          countersign admin token create --name ci-payments --scope deploy:check --service 'payments-*'
        """
    )

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "The token's name: 1 to 64 characters of a-z, 0-9, '.', '_' or '-'.") var name: String
    @Option(name: .customLong("scope"), help: "A scope it holds: deploy:check or deploy:consume (repeat for both).") var scopes: [String]
    @Option(name: .customLong("service"), help: "A glob of services it may act for (repeatable; default: any service).") var services: [String] = []
    @Option(help: "How long it lives, e.g. 30d or 12h (default 90d, at most 365d).") var expiresIn: TokenLifetime?

    func validate() throws {
        // The core's own rule, so that a mistake is a usage error here rather than a round trip.
        do {
            _ = try MachineTokenDraft(name: name, scopes: scopes, services: services, lifetime: expiresIn.map { TimeInterval($0.seconds) })
        } catch {
            throw ValidationError(error.message)
        }
    }

    func run() async throws {
        try await reportingFailures {
            let body = CreateMachineTokenBody(name: name, scopes: scopes, services: services, expiresInSeconds: expiresIn?.seconds)
            let created = try await gateway.client().post("/v1/admin/tokens", body: body, as: CreatedMachineTokenView.self)
            if output.json { return try JSONOutput.print(created) }
            let token = created.token
            print("Machine token \(token.name) (\(token.scopes.joined(separator: ", ")); \(MachineTokenText.services(token))), valid until \(TextFormat.time(token.expiresAt)).")
            print("Its secret, shown this once (the gateway keeps only its hash):")
            print("")
            print(created.secret)
            print("")
            print("Store it as the pipeline's secret COUNTERSIGN_TOKEN; the CLI presents it instead of a login, e.g.")
            print("  COUNTERSIGN_TOKEN=… countersign check --service S --environment E --commit C")
            print("Audit rows name its uses \(token.actor). Revoke it with: countersign admin token revoke \(token.name)")
        }
    }
}

struct AdminTokenList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List every machine token, revoked and expired ones included (never a secret)."
    )

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let listing = try await gateway.client().get("/v1/admin/tokens", as: MachineTokenListView.self)
            if output.json { return try JSONOutput.print(listing) }
            guard !listing.tokens.isEmpty else { return print("No machine tokens.") }
            for token in listing.tokens { print(MachineTokenText.row(token)) }
        }
    }
}

struct AdminTokenRevoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Revoke machine token NAME at once (audited); it never works again.",
        discussion: "It takes effect at once on the gateway that answers, and within a second on the others of the same database. Revoking a revoked token changes nothing and says when it was revoked. The name stays taken."
    )

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The token's name.") var name: String

    func run() async throws {
        try await reportingFailures {
            let token = try await gateway.client().post("/v1/admin/tokens/\(PathSegment.encode(name))/revoke", as: MachineTokenView.self)
            if output.json { return try JSONOutput.print(token) }
            print("Machine token \(token.name) is revoked (by \(token.revokedBy ?? "?") at \(token.revokedAt.map(TextFormat.time) ?? "?")).")
        }
    }
}

enum MachineTokenText {
    static func services(_ token: MachineTokenView) -> String {
        token.services.isEmpty ? "any service" : "services \(token.services.joined(separator: ", "))"
    }

    static func row(_ token: MachineTokenView) -> String {
        let revoked = token.revokedBy.map { " by \($0) at \(token.revokedAt.map(TextFormat.time) ?? "?")" } ?? ""
        return "\(token.name.padding(toLength: 20, withPad: " ", startingAt: 0)) \(token.state.padding(toLength: 8, withPad: " ", startingAt: 0)) "
            + "\(token.scopes.joined(separator: ",")) · \(services(token)) · made by \(token.createdBy), until \(TextFormat.time(token.expiresAt))\(revoked)"
    }
}
