import CountersignStore

/// Sessions read from the store within the last second, by token hash (`RecentReads`). A logout
/// on this gateway takes its session out at once; one made on another gateway on the same
/// database is seen here within `freshness`. Expiry is checked on every use, against the
/// gateway's clock, whatever the cache holds.
typealias SessionCache = RecentReads<LoginSession>

extension RecentReads where Value == LoginSession {
    func session(tokenHash: [UInt8], now: ContinuousClock.Instant = .now) -> LoginSession? {
        value(for: tokenHash, now: now)
    }

    func remember(_ session: LoginSession, now: ContinuousClock.Instant = .now) {
        remember(session, for: session.tokenHash, now: now)
    }

    func forget(tokenHash: [UInt8], now: ContinuousClock.Instant = .now) {
        forget(tokenHash, now: now)
    }
}
