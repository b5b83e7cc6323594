import ArgumentParser
import CountersignPolicyFiles
import CountersignPostgres
import CountersignServer
import CountersignSQLite
import CountersignStore
import Foundation
import Logging
import Notifications

@main
struct Countersignd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "countersignd",
        abstract: "The Countersign gateway: multi-party approval for deploys and SSH access.",
        discussion: """
        Serves the JSON API under /v1 (documented at /openapi.yaml), /healthz, /readyz and /metrics.
        Every option can also be set through the environment variable named in its help.
        SIGTERM or SIGINT shuts down gracefully (a final signed audit checkpoint is written);
        SIGHUP reloads the policy directory (a policy that fails to load keeps the old one in force).
        """
    )

    @Option(help: "Address to listen on, HOST:PORT. [env: COUNTERSIGN_LISTEN]")
    var listen: String = Environment.value("COUNTERSIGN_LISTEN") ?? "127.0.0.1:8080"

    @Option(help: "Directory for the checkpoint signing key and, unless --database says otherwise, the SQLite database. Gateways sharing one PostgreSQL database need the same checkpoint key. [env: COUNTERSIGN_DATA_DIR]")
    var dataDir: String = Environment.value("COUNTERSIGN_DATA_DIR") ?? "data"

    @Option(help: "A PostgreSQL database instead of the embedded SQLite file, as postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=disable|require|verify-full (default verify-full, disable on loopback). Several gateways may share one. Prefer the environment variable: a command line is visible to every user of the machine. [env: COUNTERSIGN_DATABASE]")
    var database: String?

    @Option(help: "Policy directory (groups.yaml, rule files, tests/). [env: COUNTERSIGN_POLICIES]")
    var policies: String = Environment.value("COUNTERSIGN_POLICIES") ?? "policies"

    @Option(help: "PAM service name used to check passwords. [env: COUNTERSIGN_PAM_SERVICE]")
    var pamService: String = Environment.value("COUNTERSIGN_PAM_SERVICE") ?? "countersign"

    @Option(help: "PAM configuration directory (pam_start_confdir) instead of /etc/pam.d. [env: COUNTERSIGN_PAM_CONFIG_DIR]")
    var pamConfigDir: String?

    @Option(help: "Origin reviewers use in a browser, e.g. https://countersign.example.com. [env: COUNTERSIGN_PUBLIC_URL]")
    var publicURL: String?

    @Option(help: "What sshd runs for a recorded session (the certificate's force-command), e.g. \"/usr/local/bin/countersign record --gateway https://countersign.example.com\". Without it, certificates of requests whose terms record sessions are refused. [env: COUNTERSIGN_RECORDER_COMMAND]")
    var recorderCommand: String?

    @Option(help: "The notification channels' configuration (YAML: where each channel a policy names sends, and its secret; see docs/notifications.md). Without it, notifications for any channel are given up and audited. [env: COUNTERSIGN_NOTIFICATIONS]")
    var notifications: String?

    @Option(help: "How long a login session lasts, e.g. 12h. [env: COUNTERSIGN_SESSION_LIFETIME]")
    var sessionLifetime: String = Environment.value("COUNTERSIGN_SESSION_LIFETIME") ?? "12h"

    @Flag(help: "Add the system's group memberships (NSS) to those of groups.yaml. [env: COUNTERSIGN_SYSTEM_GROUPS=1]")
    var systemGroups: Bool = Environment.value("COUNTERSIGN_SYSTEM_GROUPS") == "1"

    @Option(help: "SQLite durability: full (fsync every commit; nothing acknowledged is lost on power failure) or normal (faster; survives a crash of the process, may lose the last commits on power failure). [env: COUNTERSIGN_DURABILITY]")
    var durability: String = Environment.value("COUNTERSIGN_DURABILITY") ?? "full"

    @Option(help: "How often to sign an audit checkpoint, e.g. 5m. [env: COUNTERSIGN_CHECKPOINT_INTERVAL]")
    var checkpointInterval: String = Environment.value("COUNTERSIGN_CHECKPOINT_INTERVAL") ?? "5m"

    @Option(help: "Attestation asked of security keys at enrolment: none, or direct (the key's own statement: packed self attestation, or an attestation certificate meeting WebAuthn §8.2.1). Policies that name attestation roots (authenticators.yaml) always ask for direct. [env: COUNTERSIGN_ATTESTATION]")
    var attestation: String = Environment.value("COUNTERSIGN_ATTESTATION") ?? "none"

    @Option(help: "How often an open \"to review\" page asks for new requests, e.g. 5s (1s to 5m). [env: COUNTERSIGN_REVIEW_REFRESH]")
    var reviewRefresh: String = Environment.value("COUNTERSIGN_REVIEW_REFRESH") ?? "5s"

    @Option(name: .customLong("break-glass-page-wait"), help: "How long breaking glass waits for its pages to be delivered before it returns the credential anyway (1s to 30s). [env: COUNTERSIGN_BREAK_GLASS_PAGE_WAIT]")
    var breakGlassPageWait: String = Environment.value("COUNTERSIGN_BREAK_GLASS_PAGE_WAIT") ?? "5s"

    @Option(help: "Reverse proxies whose X-Forwarded-For names the client, as addresses or CIDR networks, e.g. 10.0.0.0/8,::1. Default: none (the header is ignored; anyone can send it). [env: COUNTERSIGN_TRUSTED_PROXIES]")
    var trustedProxy: String = Environment.value("COUNTERSIGN_TRUSTED_PROXIES") ?? ""

    @OptionGroup(title: "Slow and idle clients")
    var connectionOptions: ConnectionOptions

    @Option(help: "Log level: trace, debug, info, notice, warning, error. [env: COUNTERSIGN_LOG_LEVEL]")
    var logLevel: String = Environment.value("COUNTERSIGN_LOG_LEVEL") ?? "info"

    func validate() throws {
        _ = try address()
        guard PolicyDuration.seconds(from: sessionLifetime) != nil else { throw ValidationError("--session-lifetime must be a duration such as 12h") }
        guard PolicyDuration.seconds(from: checkpointInterval) != nil else { throw ValidationError("--checkpoint-interval must be a duration such as 5m") }
        guard SQLiteDurability(rawValue: durability) != nil else { throw ValidationError("--durability must be full or normal") }
        guard GatewayConfiguration.AttestationPreference(rawValue: attestation) != nil else { throw ValidationError("--attestation must be none or direct") }
        guard let wait = PolicyDuration.seconds(from: breakGlassPageWait), (1...30).contains(wait) else {
            throw ValidationError("--break-glass-page-wait must be between 1s and 30s, not '\(breakGlassPageWait.prefix(40))'")
        }
        guard let refresh = PolicyDuration.seconds(from: reviewRefresh), (1...300).contains(refresh) else {
            throw ValidationError("--review-refresh must be a duration from 1s to 5m, such as 5s")
        }
        _ = try trustedProxies()
        _ = try databaseLocation()
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error") }
    }

    func run() async throws {
        AllocatorFootprint.shareArenas()
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let (host, port) = try address()
        var configuration = GatewayConfiguration(
            host: host, port: port,
            dataDirectory: URL(fileURLWithPath: dataDir),
            policyDirectory: URL(fileURLWithPath: policies),
            pamService: pamService,
            pamConfigDirectory: pamConfigDir ?? Environment.value("COUNTERSIGN_PAM_CONFIG_DIR"),
            publicURL: publicURL ?? Environment.value("COUNTERSIGN_PUBLIC_URL"),
            sessionLifetime: TimeInterval(PolicyDuration.seconds(from: sessionLifetime) ?? 43_200),
            useSystemGroups: systemGroups,
            durability: SQLiteDurability(rawValue: durability) ?? .full,
            checkpointInterval: TimeInterval(PolicyDuration.seconds(from: checkpointInterval) ?? 300),
            attestation: GatewayConfiguration.AttestationPreference(rawValue: attestation) ?? .none,
            reviewRefreshSeconds: PolicyDuration.seconds(from: reviewRefresh) ?? 5,
            trustedProxies: try trustedProxies()
        )
        configuration.connections = try connectionOptions.limits()
        configuration.database = try databaseLocation()
        configuration.recorderCommand = recorderCommand ?? Environment.value("COUNTERSIGN_RECORDER_COMMAND")
        configuration.breakGlassPageWait = .seconds(PolicyDuration.seconds(from: breakGlassPageWait) ?? 5)
        if let path = notifications ?? Environment.value("COUNTERSIGN_NOTIFICATIONS") {
            do {
                configuration.notifications = try NotificationConfiguration.load(path: path)
            } catch {
                // The error names the channel and field, never a secret.
                throw ValidationError("--notifications: \(error)")
            }
        }
        let gateway: Gateway
        do {
            gateway = try await buildGateway(configuration: configuration) { port in
                print("countersignd listening on http://\(host):\(port)")
                fflush(nil)
                AllocatorFootprint.returnStartupMemory()
            }
        } catch {
            // Start-up refusals (a policy that does not load, an unusable data directory, an
            // insecure key file) are the operator's to fix: say what, without a usage dump.
            FileHandle.standardError.write(Data("countersignd: cannot start: \(error)\n".utf8))
            throw ExitCode(2)
        }
        try await gateway.application.runService()
    }

    private func databaseLocation() throws -> DatabaseLocation {
        guard let url = database ?? Environment.value("COUNTERSIGN_DATABASE") else { return .embedded }
        do {
            return .postgres(try PostgresLocation(url: url))
        } catch {
            throw ValidationError("--database: \(error)")
        }
    }

    private func trustedProxies() throws -> TrustedProxies {
        do {
            return try TrustedProxies(parsing: trustedProxy)
        } catch {
            throw ValidationError("--trusted-proxy: \(error)")
        }
    }

    private func address() throws -> (String, Int) {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65_535).contains(port) else {
            throw ValidationError("--listen must be HOST:PORT, e.g. 127.0.0.1:8080")
        }
        return (String(listen[..<colon]), port)
    }
}

enum Environment {
    static func value(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }
}
