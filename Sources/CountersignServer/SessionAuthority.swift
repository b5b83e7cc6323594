import Crypto
import CountersignAPI
import CountersignCore
import CountersignStore
import Foundation
import HTTPTypes
import Logging
import WebAuthn
import Synchronization

/// Logins, logouts and bearer tokens. A token is 256 random bits shown to the client once; the
/// gateway stores only its SHA-256, so a copy of the database lets nobody log in.
public final class SessionAuthority: Sendable {
    let store: any GatewayStore
    let verifier: any PasswordVerifier
    let directory: MembershipDirectory
    let clock: any WallClock
    let lifetime: TimeInterval
    let metrics: GatewayMetrics
    let throttles: Mutex<LoginThrottles>
    let logger: Logger

    struct LoginThrottles {
        var perUser: FailureThrottle
        var perAddress: FailureThrottle
    }

    static let tokenPrefix = "cs1_"
    static let maximumPasswordBytes = 1024

    init(
        store: any GatewayStore, verifier: any PasswordVerifier, directory: MembershipDirectory, clock: any WallClock,
        configuration: GatewayConfiguration, metrics: GatewayMetrics, logger: Logger
    ) {
        self.store = store
        self.verifier = verifier
        self.directory = directory
        self.clock = clock
        self.lifetime = configuration.sessionLifetime
        self.metrics = metrics
        self.logger = logger
        throttles = Mutex(LoginThrottles(
            perUser: FailureThrottle(limit: .init(failures: configuration.failedLoginsPerUser.failures, window: configuration.failedLoginsPerUser.window)),
            perAddress: FailureThrottle(limit: .init(failures: configuration.failedLoginsPerAddress.failures, window: configuration.failedLoginsPerAddress.window))
        ))
    }

    func login(username rawUsername: String, password: String, from address: String) async throws -> LoginResponse {
        let now = clock.now()
        let attempted = Username.isValid(rawUsername) ? rawUsername : "(invalid username)"
        let userKey = "user:" + attempted
        let addressKey = "address:" + address
        let wait = throttles.withLock { throttles in
            [throttles.perUser.retryAfter(userKey, at: now), throttles.perAddress.retryAfter(addressKey, at: now)].compactMap { $0 }.max()
        }
        if let wait {
            metrics.loginThrottled()
            try await audit(.loginThrottled, actor: attempted, at: now, ["source_address": address])
            var headers = HTTPFields()
            headers[.retryAfter] = String(Int(wait.rounded(.up)))
            throw GatewayError(status: .tooManyRequests, code: APIErrorCode.rateLimited, message: "too many failed logins; try again in \(Int(wait.rounded(.up))) seconds", headers: headers)
        }

        let check: PasswordCheck
        if let user = try? Username(rawUsername), !password.isEmpty, password.utf8.count <= Self.maximumPasswordBytes, !password.utf8.contains(0) {
            check = await verifier.check(username: user.rawValue, password: password)
        } else {
            check = .rejected
        }

        guard check == .accepted, let user = try? Username(rawUsername) else {
            throttles.withLock { throttles in
                throttles.perUser.recordFailure(userKey, at: now)
                throttles.perAddress.recordFailure(addressKey, at: now)
            }
            metrics.loginFailed()
            if case .unavailable(let detail) = check {
                logger.error("password check unavailable", metadata: ["detail": "\(detail)"])
            }
            let reason = switch check {
            case .accepted, .rejected: "bad_credentials"
            case .accountUnavailable: "account_unavailable"
            case .unavailable: "authentication_unavailable"
            }
            try await audit(.loginFailed, actor: attempted, at: now, ["source_address": address, "reason": reason])
            switch check {
            case .accountUnavailable:
                throw GatewayError(status: .forbidden, code: APIErrorCode.accountUnavailable, message: "this account may not log in now")
            case .unavailable:
                throw GatewayError(status: .serviceUnavailable, code: APIErrorCode.authenticationUnavailable, message: "the gateway cannot check passwords right now")
            case .accepted, .rejected:
                throw GatewayError(status: .unauthorized, code: APIErrorCode.invalidCredentials, message: "unknown user or wrong password")
            }
        }

        var tokenBytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in tokenBytes.indices { tokenBytes[index] = generator.next() }
        let token = Self.tokenPrefix + Base64URL.encode(tokenBytes)
        let session = LoginSession(tokenHash: Self.hash(token), username: user, createdAt: now, expiresAt: now.addingTimeInterval(lifetime))
        let event = AuditEvent(time: now, actor: user.rawValue, action: .loginSucceeded, subject: user.rawValue, details: ["source_address": address])
        try await store.createSession(session, event: event)
        metrics.auditAppended()
        metrics.loginSucceeded()
        throttles.withLock { $0.perUser.recordSuccess(userKey) }
        return LoginResponse(token: token, username: user.rawValue, groups: directory.groups(of: user).sorted(), expiresAt: session.expiresAt)
    }

    func logout(_ identity: CallerIdentity) async throws {
        let event = AuditEvent(time: clock.now(), actor: identity.actor.name.rawValue, action: .logout, subject: identity.actor.name.rawValue)
        try await store.deleteSession(tokenHash: identity.session.tokenHash, event: event)
        metrics.auditAppended()
    }

    /// The identity behind an `Authorization` header, or nil when the token is malformed,
    /// unknown, revoked or expired.
    func identity(forAuthorizationHeader header: String) async throws -> CallerIdentity? {
        guard header.utf8.count <= 256, header.hasPrefix("Bearer ") else { return nil }
        return try await identity(forToken: String(header.dropFirst("Bearer ".count)))
    }

    /// The identity behind a session token, from a bearer header or a browser's session cookie.
    func identity(forToken token: String) async throws -> CallerIdentity? {
        guard token.hasPrefix(Self.tokenPrefix), token.utf8.count <= 128 else { return nil }
        guard let session = try await store.session(tokenHash: Self.hash(token), at: clock.now()) else { return nil }
        return CallerIdentity(actor: Actor(name: session.username, groups: directory.groups(of: session.username)), session: session)
    }

    static func hash(_ token: String) -> [UInt8] {
        LoginSession.tokenHash(of: token.utf8)
    }

    private func audit(_ action: AuditAction, actor: String, at now: Date, _ details: [String: String]) async throws {
        _ = try await store.appendAudit([AuditEvent(time: now, actor: actor, action: action, subject: actor, details: details)])
        metrics.auditAppended()
    }
}
