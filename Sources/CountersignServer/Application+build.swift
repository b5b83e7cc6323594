import CountersignCore
import CountersignPolicyFiles
import CountersignPostgres
import CountersignSQLite
import CountersignStore
import Crypto
import Foundation
import Hummingbird
import Keyring
import CountersignWeb
import Logging
import Notifications
import ServiceLifecycle
import WebAuthn

/// Everything a running gateway is made of, built once from the configuration. `countersignd`
/// runs `application`; tests build the same thing with a temporary directory, port 0 and a
/// manual clock, and may drive the services (sweeper, checkpoints, reload) directly.
public struct Gateway: Sendable {
    public let application: Application<RouterResponder<GatewayContext>>
    public let store: any GatewayStore
    public let policies: PolicyHolder
    public let metrics: GatewayMetrics
    let routes: [RouteRecorder.Route]
    let sweeper: ExpirySweeper
    let checkpoints: CheckpointService
    let reloader: PolicyReloader
    /// Delivers the outbox; `wake()` it after committing a page so it leaves at once.
    public let dispatcher: OutboxDispatcher
    /// Streams the audit log to the configured sinks (docs/audit-stream.md).
    public let auditStream: AuditStreamer
    /// Held while the gateway lives, on an embedded database.
    let databaseLock: EmbeddedDatabaseLock?

    /// The (method, path) of every route the server registers.
    public var registeredRoutes: [(method: String, path: String)] {
        routes.map { ($0.method.rawValue, $0.path) }
    }

    public func sweepExpired() async { await sweeper.sweep() }
    public func writeCheckpoint() async { await checkpoints.checkpoint() }
    @discardableResult public func reloadPolicies() async -> Bool { await reloader.reload() }
    /// One delivery pass of the outbox, as the running service makes them.
    @discardableResult public func dispatchNotifications() async -> OutboxDispatcher.Pass { await dispatcher.dispatchDue() }
    /// One pass of every audit stream sink, as the running service makes them.
    @discardableResult public func streamAudit() async -> [AuditSinkName: AuditStreamer.Pass] { await auditStream.streamDue() }
}

/// The configured store, the services it needs running (first in the group, so they stop last)
/// and, for the embedded one, its lock. A PostgreSQL schema is migrated here, before anything is
/// written; an embedded file's holds, left by a gateway that stopped, are released.
private func openStore(
    _ configuration: GatewayConfiguration, logger: Logger
) async throws -> (any GatewayStore, [any Service], EmbeddedDatabaseLock?) {
    switch configuration.database {
    case .embedded:
        let lock = try EmbeddedDatabaseLock(database: configuration.databasePath)
        let store = try SQLiteStore.open(path: configuration.databasePath, durability: configuration.durability)
        let released = try await store.releaseHolds()
        if released.claims + released.leases > 0 {
            logger.notice(
                "took back what a stopped gateway held: due at once",
                metadata: ["notification_claims": "\(released.claims)", "audit_stream_leases": "\(released.leases)"]
            )
        }
        return (store, [], lock)
    case .postgres(let location):
        let store = PostgresStore(configuration: location.clientConfiguration, logger: logger)
        let pool = PostgresPoolService(store: store)
        do {
            try await store.migrate()
        } catch {
            pool.pool.cancel()
            throw GatewayBuildError.database("\(location): \(error)")
        }
        return (store, [pool], nil)
    }
}

public enum GatewayBuildError: Error, CustomStringConvertible {
    case policy(PolicyLoadError)
    case dataDirectory(String)
    case openAPIDocumentMissing
    case publicURL(String)
    case database(String)

    public var description: String {
        switch self {
        case .policy(let error): "the policy directory does not load:\n\(error)"
        case .dataDirectory(let message): "the data directory is unusable: \(message)"
        case .openAPIDocumentMissing: "the OpenAPI document is missing from the server's resources"
        case .publicURL(let message): "the public URL is unusable: \(message)"
        case .database(let message): "the database is unusable: \(message)"
        }
    }
}

public func buildGateway(
    configuration: GatewayConfiguration,
    clock: any WallClock = SystemClock(),
    passwordVerifier: (any PasswordVerifier)? = nil,
    logger: Logger = Logger(label: "countersignd"),
    onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
) async throws -> Gateway {
    do {
        try FileManager.default.createDirectory(at: configuration.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    } catch {
        throw GatewayBuildError.dataDirectory("cannot create \(configuration.dataDirectory.path)")
    }
    let policies: PolicyHolder
    do {
        policies = try PolicyHolder(directory: configuration.policyDirectory)
    } catch {
        throw GatewayBuildError.policy(error)
    }
    guard let openAPIURL = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
          let openAPIDocument = try? Data(contentsOf: openAPIURL) else {
        throw GatewayBuildError.openAPIDocumentMissing
    }

    let (store, storeServices, databaseLock) = try await openStore(configuration, logger: logger)
    let keyring = FileKeyring(directory: configuration.dataDirectory.path)
    let signingKey = try keyring.signingKey(for: .auditCheckpoint)
    let metrics = GatewayMetrics()
    metrics.expectOutboxChannels(configuration.notifications.names)
    let directory = MembershipDirectory(policies: policies, useSystemGroups: configuration.useSystemGroups)
    let verifier = passwordVerifier ?? PAMPasswordVerifier(service: configuration.pamService, configDirectory: configuration.pamConfigDirectory)

    let reloader = PolicyReloader(
        policies: policies, store: store, clock: clock, metrics: metrics, logger: logger,
        directoryName: configuration.policyDirectory.lastPathComponent, configuredChannels: Set(configuration.notifications.names)
    )
    // The policy in force at start is audited like any reload; if that cannot be written the
    // gateway does not start (fail closed).
    let initial = policies.current
    try await reloader.audit(.policyLoaded, reloader.loadedDetails(initial, trigger: "start"))
    metrics.policyReloaded(succeeded: true)

    let sessions = SessionAuthority(
        store: store, verifier: verifier, directory: directory, clock: clock, configuration: configuration, metrics: metrics, logger: logger
    )
    // Where notices say they come from: the gateway's page, or its address when it has no public URL.
    let source = configuration.publicURL ?? "countersignd on \(configuration.host):\(configuration.port)"
    let outbox = OutboxDispatchService(store: store, configuration: configuration.notifications, clock: clock, source: source, logger: logger)
    let newsroom = RequestNewsroom(policies: policies, publicURL: configuration.publicURL, source: source, dispatcher: outbox.dispatcher)
    let auditStream = AuditStreamService(
        store: store, configuration: configuration.notifications, clock: clock, source: source, metrics: metrics, outbox: outbox.dispatcher, logger: logger
    )
    let desk = RequestDesk(
        store: store, recentReads: RecentStoreReads(), policies: policies, directory: directory, clock: clock, metrics: metrics, newsroom: newsroom
    )

    let alarm = IntegrityAlarm(store: store, clock: clock, metrics: metrics, logger: logger)
    let router = Router(context: GatewayContext.self)
    router.add(middleware: ErrorMiddleware(alarm: alarm))
    let cookies = WebCookies(publicURL: configuration.publicURL)
    router.add(middleware: ClientAddressMiddleware(trustedProxies: configuration.trustedProxies))
    let machineTokens = MachineTokenAuthority(store: store, clock: clock)
    router.add(middleware: AuthenticationMiddleware(sessions: sessions, machineTokens: machineTokens, cookies: cookies))
    let routes = RouteRecorder(router: router)
    HealthController(
        store: store, writability: WritabilityProof(store: store, clock: clock), policies: policies, metrics: metrics,
        openAPIDocument: ByteBuffer(bytes: openAPIDocument), clock: clock
    ).register(on: routes)
    SessionController(sessions: sessions, bodyLimit: configuration.maximumBodySize).register(on: routes)
    RequestController(desk: desk, policies: policies, bodyLimit: configuration.maximumBodySize).register(on: routes)
    let relyingParty = try configuration.relyingParty()
    AuditController(store: store, checkpointKey: signingKey.publicKey, relyingParty: relyingParty).register(on: routes)
    let keys = HardwareKeyDesk(
        store: store, requests: desk, relyingParty: relyingParty, attestation: configuration.attestation.rawValue,
        clock: clock, metrics: metrics
    )
    KeyController(keys: keys, bodyLimit: configuration.maximumBodySize).register(on: routes)
    MachineTokenController(tokens: machineTokens, clock: clock, bodyLimit: configuration.maximumBodySize).register(on: routes)
    // A recorder command sshd would run as something else than one command is refused at start.
    if let command = configuration.recorderCommand { try CertificateTerms.checkForceCommand(command) }
    let certificateAuthority = SSHCertificateAuthority(store: store, keyring: keyring, clock: clock, recorderCommand: configuration.recorderCommand)
    // The CA key is made (or its files checked) at start: a keyring that cannot give one stops
    // the gateway here rather than at the first certificate.
    _ = try certificateAuthority.keys().signer(at: clock.now())
    SSHCertificateController(authority: certificateAuthority, requests: desk, bodyLimit: configuration.maximumBodySize).register(on: routes)
    let pageWatch = PageWatch(
        store: store, wait: configuration.breakGlassPageWait, channels: configuration.notifications.names, newsroom: newsroom,
        metrics: metrics, clock: clock, logger: logger
    )
    let breakGlass = BreakGlassDesk(store: store, requests: desk, keys: keys, authority: certificateAuthority, pages: pageWatch, clock: clock, logger: logger)
    BreakGlassController(
        desk: breakGlass, sessions: sessions, webhookSecrets: configuration.notifications.incidentWebhookSecrets.map { SymmetricKey(data: Data($0.revealed.utf8)) },
        bodyLimit: configuration.maximumBodySize, metrics: metrics, logger: logger
    ).register(on: routes)
    let tokenIssuer = DeployTokenIssuer(store: store, keyring: keyring, issuer: relyingParty?.origin ?? DeployTokenIssuer.unnamedIssuer, clock: clock)
    // The token key likewise: made, or its files checked, at start.
    _ = try tokenIssuer.signer(at: clock.now())
    DeployTokenController(issuer: tokenIssuer, requests: desk, bodyLimit: configuration.maximumBodySize).register(on: routes)
    DeployGateController(store: store, lookups: RecentStoreReads(), tokens: tokenIssuer, clock: clock, bodyLimit: configuration.maximumBodySize).register(on: routes)
    let recordingFiles = RecordingFiles(directory: configuration.recordingsDirectory)
    RecordingController(
        store: store, uploads: RecordingUploadAuthority(store: store), files: recordingFiles,
        clock: clock, bodyLimit: configuration.maximumBodySize
    ).register(on: routes)
    RecordingFramesController(store: store, files: recordingFiles).register(on: routes)
    routes.refuseOtherMethods()
    // The pages are not part of the JSON API, so they are not held against the OpenAPI document.
    WebController(
        sessions: sessions, desk: desk, breakGlass: breakGlass, keys: keys, renderer: try await PageRenderer(), assets: try StaticAssets(),
        cookies: cookies, alarm: alarm, reviewRefreshSeconds: configuration.reviewRefreshSeconds
    ).register(on: router)

    let sweeper = ExpirySweeper(
        store: store, clock: clock, interval: .seconds(configuration.expirySweepInterval),
        attemptRetention: configuration.longestAttemptWindow, metrics: metrics, newsroom: newsroom, logger: logger
    )
    let checkpoints = CheckpointService(store: store, signingKey: signingKey, clock: clock, interval: .seconds(configuration.checkpointInterval), metrics: metrics, logger: logger)
    let application = Application(
        router: router,
        server: .gateway(limits: configuration.connections),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "countersignd"),
        services: storeServices + [
            sweeper, checkpoints, PolicyReloadService(reloader: reloader), outbox, auditStream,
            LoginRefusalAuditService(sessions: sessions, clock: clock, interval: .seconds(5)),
        ],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
    return Gateway(
        application: application, store: store, policies: policies, metrics: metrics, routes: routes.routes,
        sweeper: sweeper, checkpoints: checkpoints, reloader: reloader, dispatcher: outbox.dispatcher, auditStream: auditStream.streamer,
        databaseLock: databaseLock
    )
}
