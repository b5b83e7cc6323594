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

            With a security key enrolled, you touch it over exactly this ask (user, host, login, incident, reason, \
            duration) before anything is granted, as the rule's key_touch wants (always, or when_enrolled: whenever you \
            have a key); under key_touch: never the gateway says so and no touch is asked. The touch goes through \
            libfido2's fido2-assert (Debian package fido2-tools), which asks for the key's PIN on the terminal; the key \
            is the one `fido2-token -L` lists, or --key-device. Each of your enrolled keys is tried in turn. \
            --no-key-touch does not even ask the gateway; where the rule wants a touch it refuses the ask. Without a \
            session (PAM's back end may be down in the incident), --user names you and the touch alone proves it is you.

            A rule that wants someone else's agreement leaves the grant waiting: this command says who must agree and \
            waits until they have (or the grant lapses).

            Exit status: ssh's, when it runs; 0 once --out is written; 1 refused (not on call, incident not of the \
            rule's form, longer than the rule allows, a key touch needed or refused, no agreement); 2 usage or input \
            error (a reason over 1024 characters, an incident over 128); 3 the key was not touched in time; 4 gateway \
            unreachable; 5 the key could not be asked (no fido2-assert, no key plugged in, none of yours, its PIN \
            refused, an unreadable answer).

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
    @OptionGroup var securityKey: KeyTouchOptions
    @Flag(help: "Ask without touching your security key, where the rule does not want a touch (key_touch: never).") var noKeyTouch = false
    @Option(help: "Break glass without a session, as this user: only the touch of your enrolled key proves it is you.") var user: String?
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
        if user != nil, noKeyTouch { throw ValidationError("without a session only your key's touch says who you are: --user needs the touch") }
    }

    func run() async throws {
        try await reportingFailures {
            let ask = try ask()
            // Without a session nothing is presented but the touch: a saved token, stale or not, would be refused.
            let client = user == nil ? try gateway.client() : try gateway.client(requireLogin: false).withoutToken
            let key = FreshKey()
            let proof = noKeyTouch ? KeyProof.skipped : try await Self.touch(ask, as: user, with: securityKey.keyTouch, from: client)
            let granted = try await Self.breakGlass(ask, as: user, proof: proof, key: key, from: client)
            BreakGlassText.announce(granted).forEach(Terminal.printError)
            let fresh = if let certificate = granted.certificate {
                try FreshCertificate.received(certificate, for: key, under: granted.grant.request)
            } else if user != nil {
                // The key alone opens break-glass, not a session: the certificate comes later only to one.
                throw CLIFailure.refused(
                    "grant \(granted.grant.request.id) waits for someone else's agreement, and without a session its certificate cannot be taken later: once you can log in, run `countersign ssh \(granted.grant.request.id)`"
                )
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

    /// What proves the ask beside the session, if anything.
    enum KeyProof {
        case touched(AssertionBody)
        /// --no-key-touch.
        case skipped
        /// The rule deciding the ask does not want a touch (key_touch: never).
        case notWanted
        /// No key to touch, and why: none enrolled, or the gateway offers no key ceremony.
        case noKey(String)

        var touch: AssertionBody? {
            if case .touched(let touch) = self { return touch }
            return nil
        }
    }

    /// The touch of the user's own key over exactly `ask`, or why there is none: with no key
    /// enrolled the gateway decides on the ask alone, which the rule may allow (when_enrolled).
    private static func touch(_ ask: BreakGlassAsk, as user: String?, with keyTouch: KeyTouch, from client: GatewayClient) async throws(CLIFailure) -> KeyProof {
        let body = BreakGlassBody(
            host: ask.host, login: ask.login, incident: ask.incident, reason: ask.reason, durationSeconds: ask.durationSeconds, publicKey: nil,
            keyTouch: nil, user: user
        )
        let options: AssertionOptionsView
        do {
            options = try await client.post("/v1/break-glass/key-challenge", body: body, as: AssertionOptionsView.self)
        } catch where error.apiCode == APIErrorCode.noEnrolledKey || error.apiCode == APIErrorCode.keysUnavailable {
            let why = error.apiCode == APIErrorCode.noEnrolledKey
                ? "you have no enrolled security key (an admin's `countersign admin invite` lets you enrol one in the web page)"
                : "the gateway offers no key touch (it runs without --public-url)"
            guard user == nil else { throw .refused("without a session, only the touch of your enrolled key says who you are, and \(why)") }
            return .noKey(why)
        }
        if options.touchWanted == false {
            Terminal.printError("countersign: the rule for \(ask.login)@\(ask.host) does not ask for a key touch (key_touch: never): none is made")
            return .notWanted
        }
        let purpose = "break glass\(user.map { " as \($0)" } ?? ""): \(ask.login)@\(ask.host) for \(ask.incident)"
        return .touched(try keyTouch.answer(options, to: purpose, gateway: client))
    }

    private static func breakGlass(_ ask: BreakGlassAsk, as user: String?, proof: KeyProof, key: FreshKey, from client: GatewayClient) async throws(CLIFailure) -> BreakGlassGrantedView {
        let body = BreakGlassBody(
            host: ask.host, login: ask.login, incident: ask.incident, reason: ask.reason, durationSeconds: ask.durationSeconds,
            publicKey: key.publicKeyLine(comment: FreshCertificate.comment(for: "break-glass")), keyTouch: proof.touch, user: user
        )
        do {
            return try await client.post("/v1/break-glass", body: body, as: BreakGlassGrantedView.self)
        } catch where error.apiCode == BreakGlassRefusal.Code.keyTouchRequired.rawValue {
            switch proof {
            case .skipped:
                throw .refused("\(error.message)\ncountersign: the rule wants a touch of your enrolled security key: run again without --no-key-touch")
            case .noKey(let why):
                throw .refused("\(error.message)\ncountersign: the rule wants a touch of your enrolled security key, and there is none to touch: \(why)")
            case .touched, .notWanted:
                // notWanted: the policy was reloaded between the challenge and the ask.
                throw error
            }
        } catch {
            throw proof.touch == nil ? error : error.asTouchRefusal
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
