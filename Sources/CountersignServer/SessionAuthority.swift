import Crypto
import CountersignAPI
import CountersignCore
import CountersignStore
import Foundation
import HTTPTypes
import Logging
import Synchronization
import WebAuthn

/// Logins, logouts and bearer tokens. A token is 256 random bits shown to the client once; the
/// gateway stores only its SHA-256, so a copy of the database lets nobody log in.
public final class SessionAuthority: Sendable {
    let store: any GatewayStore
    let verifier: any PasswordVerifier
    let directory: MembershipDirectory
    let clock: any WallClock
    let lifetime: TimeInterval
    let metrics: GatewayMetrics
    let throttle: Mutex<LoginThrottle>
    let refusals: Mutex<LoginRefusalTally>
    let cache = SessionCache()
    let logger: Logger

    static let tokenPrefix = "cs1_"
    static let maximumPasswordBytes = 1024
    /// How long repeated refusals of one key are counted before they are audited as one event.
    static let refusalAuditWindow: TimeInterval = 60

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
        func limit(_ limit: GatewayConfiguration.LoginLimit) -> AttemptLimit { .init(attempts: limit.failures, window: limit.window) }
        throttle = Mutex(LoginThrottle(
            perUserAtAddress: limit(configuration.failedLoginsPerUser),
            perUser: limit(configuration.failedLoginsPerUserAcrossAddresses),
            perAddress: limit(configuration.failedLoginsPerAddress)
        ))
        refusals = Mutex(LoginRefusalTally(window: Self.refusalAuditWindow))
    }

    func login(username rawUsername: String, password: String, from address: String) async throws -> LoginResponse {
        let now = clock.now()
        let attempted = Username.isValid(rawUsername) ? rawUsername : "(invalid username)"
        // Usernames are ASCII (`Username`), and a directory that ignores case must not grant each
        // spelling a budget of its own.
        let userKey = attempted.lowercased()
        let addressKey = IPAddress(address)?.throttleKey ?? address
        if let busy = throttle.withLock({ $0.beginCheck(user: userKey, address: addressKey) }) {
            try await refuseThrottled(busy, wait: LoginThrottle.busyRetryAfter, user: userKey, attempted: attempted, address: address, addressKey: addressKey, at: now)
        }
        defer { throttle.withLock { $0.endCheck(user: userKey, address: addressKey) } }
        let counters = throttle.withLock { $0.counters(user: userKey, address: addressKey) }
        let receipt: AttemptReceipt
        switch try await store.admit(counters.all, at: now) {
        case .admitted(let admitted):
            receipt = admitted
        case .refused(let counter, let wait):
            try await refuseThrottled(
                LoginThrottle.Refusal(limitOf: counter), wait: wait, user: userKey, attempted: attempted, address: address, addressKey: addressKey, at: now
            )
        }

        let check: PasswordCheck
        if let user = try? Username(rawUsername), !password.isEmpty, password.utf8.count <= Self.maximumPasswordBytes, !password.utf8.contains(0) {
            check = await verifier.check(username: user.rawValue, password: password)
        } else {
            check = .rejected
        }

        guard case .accepted(let canonical) = check, let user = try? Username(rawUsername) else {
            metrics.loginFailed()
            if case .unavailable(let detail) = check {
                logger.error("password check unavailable", metadata: ["detail": "\(detail)"])
            }
            let reason = switch check {
            case .accepted, .rejected: "bad_credentials"
            case .accountUnavailable: "account_unavailable"
            case .unavailable: "authentication_unavailable"
            }
            let key = LoginRefusalTally.Key(action: AuditAction.loginFailed.rawValue, reason: reason, user: userKey, address: addressKey)
            try await auditRefusal(key, attempted: attempted, address: address, at: now)
            switch check {
            case .accountUnavailable:
                throw GatewayError(status: .forbidden, code: APIErrorCode.accountUnavailable, message: "this account may not log in now")
            case .unavailable:
                throw GatewayError(status: .serviceUnavailable, code: APIErrorCode.authenticationUnavailable, message: "the gateway cannot check passwords right now")
            case .accepted, .rejected:
                throw GatewayError(status: .unauthorized, code: APIErrorCode.invalidCredentials, message: "unknown user or wrong password")
            }
        }
        // The password was right, so none of this counts against the user; the pair's earlier
        // failures go too (the real user, from where they are), but not those others left for
        // the same user elsewhere.
        try await store.withdraw(receipt, from: [counters.user, counters.address], resetting: [counters.userAtAddress])

        // One person is one approver: `ALICE` and `alice` must never be two sessions, two
        // requesters or two approvals where the directory ignores case.
        guard canonical == user.rawValue else {
            metrics.loginFailed()
            let key = LoginRefusalTally.Key(action: AuditAction.loginFailed.rawValue, reason: "noncanonical_username", user: userKey, address: addressKey)
            guard Username.isValid(canonical) else {
                logger.error("PAM authenticated a name the gateway cannot use", metadata: ["attempted": "\(user)", "canonical_bytes": "\(canonical.utf8.count)"])
                try await auditRefusal(key, attempted: attempted, address: address, at: now)
                throw GatewayError(status: .forbidden, code: APIErrorCode.accountUnavailable, message: "this account may not log in now")
            }
            try await auditRefusal(key, attempted: attempted, address: address, at: now, ["canonical_username": canonical])
            throw GatewayError(
                status: .forbidden, code: APIErrorCode.noncanonicalUsername,
                message: "this account's name is spelled \"\(canonical)\"; log in as \"\(canonical)\""
            )
        }

        var tokenBytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in tokenBytes.indices { tokenBytes[index] = generator.next() }
        let token = Self.tokenPrefix + Base64URL.encode(tokenBytes)
        let session = LoginSession(tokenHash: Self.hash(token), username: user, createdAt: now, expiresAt: now.addingTimeInterval(lifetime))
        let event = AuditEvent(time: now, actor: user.rawValue, action: .loginSucceeded, subject: user.rawValue, details: ["source_address": address])
        try await store.createSession(session, event: event)
        metrics.loginSucceeded()
        await auditClosedRefusals(at: now)
        return LoginResponse(token: token, username: user.rawValue, groups: directory.groups(of: user).sorted(), expiresAt: session.expiresAt)
    }

    /// Audits a throttled login (grouped, `LoginRefusalTally`) and answers 429 with Retry-After.
    func refuseThrottled(
        _ refusal: LoginThrottle.Refusal, wait: TimeInterval, user userKey: String, attempted: String, address: String, addressKey: String, at now: Date
    ) async throws -> Never {
        metrics.loginThrottled()
        let key = LoginRefusalTally.Key(
            action: AuditAction.loginThrottled.rawValue, reason: refusal.rawValue,
            user: refusal.concernsUser ? userKey : nil, address: refusal.concernsAddress ? addressKey : nil
        )
        try await auditRefusal(key, attempted: attempted, address: address, at: now)
        let seconds = Int(wait.rounded(.up))
        var headers = HTTPFields()
        headers[.retryAfter] = String(seconds)
        let message = switch refusal {
        case .userBusy, .addressBusy: "a login is already being checked; try again in \(seconds) seconds"
        case .userAtAddressLimit, .userLimit, .addressLimit: "too many failed logins; try again in \(seconds) seconds"
        }
        throw GatewayError(status: .tooManyRequests, code: APIErrorCode.rateLimited, message: message, headers: headers)
    }

    func logout(_ identity: CallerIdentity) async throws {
        let event = AuditEvent(time: clock.now(), actor: identity.actor.name.rawValue, action: .logout, subject: identity.actor.name.rawValue)
        // Out of the cache first: from here on this gateway asks the store, which has the last word.
        cache.forget(tokenHash: identity.session.tokenHash)
        try await store.deleteSession(tokenHash: identity.session.tokenHash, event: event)
        cache.forget(tokenHash: identity.session.tokenHash)
    }

    /// Longer than any token this gateway issues with generous room for whitespace; a longer
    /// header is refused before it is read any further.
    static let maximumAuthorizationHeaderBytes = 256

    /// The token of `Bearer <token>`. The scheme is case-insensitive (RFC 9110 §11.1) and may be
    /// separated from the token by spaces or tabs; a token is one word (token68, §11.2), so a
    /// header with anything after it is refused rather than guessed at.
    static func bearerToken(inAuthorizationHeader header: String) -> String? {
        guard header.utf8.count <= maximumAuthorizationHeaderBytes else { return nil }
        let words = header.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard words.count == 2, let scheme = words.first, let token = words.last,
              scheme.lowercased() == "bearer" else { return nil }
        return String(token)
    }

    /// The identity behind a session token, from a bearer header or a browser's session cookie.
    func identity(forToken token: String) async throws -> CallerIdentity? {
        guard token.hasPrefix(Self.tokenPrefix), token.utf8.count <= 128 else { return nil }
        let tokenHash = Self.hash(token)
        let now = clock.now()
        let session: LoginSession
        if let cached = cache.session(tokenHash: tokenHash), cached.isValid(at: now) {
            session = cached
        } else {
            guard let stored = try await store.session(tokenHash: tokenHash, at: now) else { return nil }
            cache.remember(stored)
            session = stored
        }
        return CallerIdentity(actor: Actor(name: session.username, groups: directory.groups(of: session.username)), session: session)
    }

    static func hash(_ token: String) -> [UInt8] {
        LoginSession.tokenHash(of: token.utf8)
    }

    /// Audits a refusal at once if it is the first of its window, and only counts it otherwise;
    /// windows that have closed meanwhile go out in the same append.
    private func auditRefusal(
        _ key: LoginRefusalTally.Key, attempted: String, address: String, at now: Date, _ extra: [String: String] = [:]
    ) async throws {
        let (auditNow, closed) = refusals.withLock { $0.record(key, username: attempted, address: address, at: now) }
        var events = closed.map { $0.event(at: now) }
        if auditNow {
            let details = ["source_address": address, "reason": key.reason, "count": "1"].merging(extra) { first, _ in first }
            events.append(AuditEvent(time: now, actor: attempted, action: AuditAction(rawValue: key.action), subject: attempted, details: details))
        }
        guard !events.isEmpty else { return }
        do {
            _ = try await store.appendAudit(events)
        } catch {
            refusals.withLock { $0.reinstate(closed) }
            throw error
        }
    }

    /// Audits the tallies of windows that have closed (`everything`: all of them, at shutdown).
    /// A failed append puts them back for the next try and is logged; the caller's own action
    /// has already been audited, so it is not failed for this.
    func auditClosedRefusals(at now: Date, everything: Bool = false) async {
        let closed = refusals.withLock { everything ? $0.closeAll() : $0.close(dueAt: now) }
        guard !closed.isEmpty else { return }
        do {
            _ = try await store.appendAudit(closed.map { $0.event(at: now) })
        } catch {
            refusals.withLock { $0.reinstate(closed) }
            logger.error("could not audit counted login refusals; kept for the next try", metadata: [
                "windows": "\(closed.count)", "refusals": "\(closed.reduce(0) { $0 + $1.count })", "error": "\(error)",
            ])
        }
    }
}
