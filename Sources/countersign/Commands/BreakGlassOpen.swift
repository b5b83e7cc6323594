import ArgumentParser
import CountersignAPI
import CountersignCore
import CountersignPolicyFiles
import Foundation

struct BreakGlassOpen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open",
        abstract: "Break glass: SSH access at once in an incident, paged, recorded and reviewed afterwards.",
        discussion: """
            For on-call engineers, where a break_glass rule of the policy covers the host and login. Makes a fresh \
            Ed25519 key pair, asks the gateway for a grant for its public half, and prints to standard error the grant's \
            id, when it ends, and how each of its pages went: a page not yet delivered is said so loudly (the gateway \
            keeps retrying it; a dead one it has given up on). Every session under the grant is recorded, what you type \
            too, and someone else reviews the grant afterwards.

            Then, without --out, it runs the system ssh as LOGIN@HOST exactly as `countersign ssh` does (the key and \
            certificate in memory-only files; arguments after `--` go to ssh); with --out it writes the key (mode 0600), \
            its public key and the certificate there, as `countersign cert --out` does.

            A rule that wants someone else's agreement leaves the grant waiting: this command says who must agree and \
            waits until they have (or the grant lapses). A rule that wants a touch of your own enrolled security key is \
            refused for now: this CLI cannot touch a key yet.

            Exit status: ssh's, when it runs; 0 once --out is written; 1 refused (not on call, incident not of the \
            rule's form, longer than the rule allows, a key touch needed, no agreement); 2 usage or input error (a \
            reason over 1024 characters, an incident over 128); 4 gateway unreachable.

            Example:
              countersign break-glass --host web-1.prod.internal --login deploy \\
                --incident INC-123 --reason "Queue stuck; restarting the worker"
            """
    )

    @OptionGroup var gateway: GatewayOptions
    @Option(help: "Host, e.g. db-1.prod.internal.") var host: String
    @Option(help: "Login on the host, e.g. postgres.") var login: String
    @Option(help: "The incident's reference, in the form the rule wants, e.g. INC-123.") var incident: String
    @Option(help: "What you are about to do and why; the reviewers read it.") var reason: String
    @Option(help: "How long, from 1m to 4h, e.g. 15m (default: the rule's longest).") var duration: BreakGlassDuration?
    @Option(help: "Write the key and certificate to this directory (made, mode 0700, if missing) instead of running ssh.") var out: String?
    @Option(help: "The ssh program to run.") var ssh = "ssh"
    @Argument(parsing: .postTerminator, help: "After `--`: ssh options, then a remote command.") var sshArguments: [String] = []

    /// The core's own reading of the ask, so that a reason or incident out of bounds is a usage
    /// error here rather than a round trip.
    private func ask() throws(CLIFailure) -> BreakGlassAsk {
        do {
            return try BreakGlassAsk(host: host, login: login, incident: incident, reason: reason, durationSeconds: duration?.seconds)
        } catch {
            throw .input(error.message)
        }
    }

    func validate() throws {
        do {
            _ = try ask()
        } catch {
            throw ValidationError(error.message)
        }
        if out != nil, !sshArguments.isEmpty { throw ValidationError("arguments after -- are for ssh, which --out does not run") }
    }

    func run() async throws {
        try await reportingFailures {
            let ask = try ask()
            let client = try gateway.client()
            let key = FreshKey()
            let granted = try await Self.breakGlass(ask, key: key, from: client)
            BreakGlassText.announce(granted).forEach(Terminal.printError)
            let fresh = if let certificate = granted.certificate {
                try FreshCertificate.received(certificate, for: key, under: granted.grant.request)
            } else {
                try await Self.agreed(granted.grant, key: key, from: client)
            }
            if let out {
                Certificate.describe(fresh, writtenTo: try fresh.write(to: out))
            } else {
                try SecureShell.connect(fresh, program: ssh, arguments: sshArguments)
            }
        }
    }

    private static func breakGlass(_ ask: BreakGlassAsk, key: FreshKey, from client: GatewayClient) async throws(CLIFailure) -> BreakGlassGrantedView {
        let body = BreakGlassBody(
            host: ask.host, login: ask.login, incident: ask.incident, reason: ask.reason, durationSeconds: ask.durationSeconds,
            publicKey: key.publicKeyLine(comment: FreshCertificate.comment(for: "break-glass")), keyTouch: nil
        )
        do {
            return try await client.post("/v1/break-glass", body: body, as: BreakGlassGrantedView.self)
        } catch where error.apiCode == BreakGlassRefusal.Code.keyTouchRequired.rawValue {
            throw .refused(
                "\(error.message)\ncountersign: the rule needs a touch of your enrolled security key over this ask, which this CLI cannot do yet"
            )
        }
    }

    /// Waits for the agreement a pending grant needs, then takes the certificate for `key`. The
    /// wait ends a minute after the grant's own agreement window, should the gateway not have
    /// expired it by then; the window is measured on the gateway's clock, so a skewed clock here
    /// changes nothing.
    private static func agreed(_ grant: BreakGlassGrantView, key: FreshKey, from client: GatewayClient) async throws(CLIFailure) -> FreshCertificate {
        let request = grant.request
        BreakGlassText.awaitingAgreement(grant).forEach(Terminal.printError)
        let window = request.pendingExpiresAt.timeIntervalSince(request.createdAt)
        let decided = try await Wait.decision(
            of: request.id, from: client, every: 2, until: Date().addingTimeInterval(window + 60), live: Terminal.standardOutputIsTerminal
        )
        guard let decided, decided.state == "approved" else {
            throw .refused("break-glass grant \(request.id) was not agreed to: it is \(decided?.state ?? "still pending after its window")")
        }
        Terminal.printError("Grant \(decided.id) is agreed (\(decided.requirement.summary))\(decided.accessExpiresAt.map { " and active until \(TextFormat.time($0))" } ?? "")")
        return try await FreshCertificate.certify(key, under: decided, from: client)
    }
}

/// `--duration` of a break-glass ask, as `15m` or `1h30m`, read once; its bounds are the core's.
struct BreakGlassDuration: ExpressibleByArgument {
    let seconds: Int

    init?(argument: String) {
        guard let seconds = PolicyDuration.seconds(from: argument) else { return nil }
        self.seconds = seconds
    }
}
