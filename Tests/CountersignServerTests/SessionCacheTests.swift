import CountersignCore
@testable import CountersignServer
import CountersignStore
import Foundation
import Testing

@Suite("The session cache")
struct SessionCacheTests {
    static let start = ContinuousClock.now
    static func session(_ token: String) throws -> LoginSession {
        let created = Date(timeIntervalSince1970: 1_800_000_000)
        return LoginSession(
            tokenHash: LoginSession.tokenHash(of: Array(token.utf8)), username: try Username("alice"),
            createdAt: created, expiresAt: created.addingTimeInterval(3600)
        )
    }

    @Test("A session is answered from memory for one second after it was read, then asked of the store again")
    func freshness() throws {
        let cache = SessionCache()
        let alice = try Self.session("a")
        #expect(cache.session(tokenHash: alice.tokenHash, now: Self.start) == nil)
        cache.remember(alice, now: Self.start)
        #expect(cache.session(tokenHash: alice.tokenHash, now: Self.start + .milliseconds(999)) == alice)
        #expect(cache.session(tokenHash: alice.tokenHash, now: Self.start + .seconds(1)) == nil)
        #expect(cache.session(tokenHash: alice.tokenHash, now: Self.start + .milliseconds(999)) == nil, "a stale entry is dropped")
    }

    @Test("A session ended here is out at once, and a read that raced the end cannot put it back for a second")
    func endedSessionsStayOut() throws {
        let cache = SessionCache()
        let alice = try Self.session("a")
        cache.remember(alice, now: Self.start)
        cache.forget(tokenHash: alice.tokenHash, now: Self.start + .milliseconds(10))
        #expect(cache.session(tokenHash: alice.tokenHash, now: Self.start + .milliseconds(11)) == nil)
        cache.remember(alice, now: Self.start + .milliseconds(20))
        #expect(cache.session(tokenHash: alice.tokenHash, now: Self.start + .milliseconds(21)) == nil)
        // A second on, what the store says is to be believed again (a new session, say).
        cache.remember(alice, now: Self.start + .milliseconds(1010))
        #expect(cache.session(tokenHash: alice.tokenHash, now: Self.start + .milliseconds(1011)) == alice)
    }

    @Test("A full cache makes room without growing: stale entries go first, then everything")
    func bounded() throws {
        let cache = SessionCache()
        for index in 0..<SessionCache.capacity { cache.remember(try Self.session("t\(index)"), now: Self.start) }
        let newcomer = try Self.session("new")
        cache.remember(newcomer, now: Self.start + .milliseconds(500))
        #expect(cache.session(tokenHash: newcomer.tokenHash, now: Self.start + .milliseconds(501)) == newcomer)
        #expect(cache.session(tokenHash: try Self.session("t0").tokenHash, now: Self.start + .milliseconds(501)) == nil)
    }
}
