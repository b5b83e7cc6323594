import CountersignCore
import CountersignStore
import Foundation
import Keyring
import Testing

/// What every backend's session store must do, against the protocols alone, given a fresh store.
enum SessionStoreContract {
    static func session(_ token: String, for user: String, at clock: ManualClock, lasting seconds: TimeInterval = 3600) throws -> LoginSession {
        LoginSession(
            tokenHash: LoginSession.tokenHash(of: Array(token.utf8)), username: try Username(user),
            createdAt: clock.now(), expiresAt: clock.now().addingTimeInterval(seconds)
        )
    }

    static func loginEvent(_ user: String, at clock: ManualClock) -> AuditEvent {
        AuditEvent(time: clock.now(), actor: user, action: .loginSucceeded, subject: user)
    }

    static func aSessionLivesUntilItExpires(_ store: some SessionStore & AuditLog) async throws {
        let clock = ManualClock()
        let alice = try session("token-a", for: "alice", at: clock)
        try await store.createSession(alice, event: loginEvent("alice", at: clock))
        #expect(try await store.session(tokenHash: alice.tokenHash, at: clock.now()) == alice)
        #expect(try await store.auditHead()?.event.action == .loginSucceeded)
        clock.advance(by: 3599.999)
        #expect(try await store.session(tokenHash: alice.tokenHash, at: clock.now()) == alice)
        clock.advance(by: 0.001)
        #expect(try await store.session(tokenHash: alice.tokenHash, at: clock.now()) == nil, "expired at its expiry time")
        #expect(try await store.session(tokenHash: LoginSession.tokenHash(of: Array("other".utf8)), at: clock.now()) == nil)
    }

    static func aTokenIsTakenOnce(_ store: some SessionStore & AuditLog) async throws {
        let clock = ManualClock()
        let alice = try session("token-a", for: "alice", at: clock)
        try await store.createSession(alice, event: loginEvent("alice", at: clock))
        let error = await #expect(throws: StoreError.self) {
            try await store.createSession(try session("token-a", for: "bob", at: clock), event: loginEvent("bob", at: clock))
        }
        #expect(error?.code == .alreadyExists)
        #expect(error.map { !$0.message.contains("token-a") } == true)
        #expect(try await store.session(tokenHash: alice.tokenHash, at: clock.now())?.username == (try Username("alice")))
        #expect(try await store.auditRecords(after: 0, limit: 10).count == 1, "the refused login left no event")
    }

    static func logoutEndsTheSessionOnce(_ store: some SessionStore & AuditLog) async throws {
        let clock = ManualClock()
        let alice = try session("token-a", for: "alice", at: clock)
        try await store.createSession(alice, event: loginEvent("alice", at: clock))
        let logout = AuditEvent(time: clock.now(), actor: "alice", action: .logout, subject: "alice")
        #expect(try await store.deleteSession(tokenHash: alice.tokenHash, event: logout))
        #expect(try await store.session(tokenHash: alice.tokenHash, at: clock.now()) == nil)
        #expect(try await store.deleteSession(tokenHash: alice.tokenHash, event: logout) == false)
        #expect(try await store.auditRecords(after: 0, limit: 10).map(\.event.action) == [.loginSucceeded, .logout])
    }

    static func expiredSessionsAreForgotten(_ store: some SessionStore & AuditLog) async throws {
        let clock = ManualClock()
        let short = try session("short", for: "alice", at: clock, lasting: 60)
        let long = try session("long", for: "bob", at: clock, lasting: 3600)
        try await store.createSession(short, event: loginEvent("alice", at: clock))
        try await store.createSession(long, event: loginEvent("bob", at: clock))
        #expect(try await store.deleteExpiredSessions(at: clock.now()) == 0)
        clock.advance(by: 60)
        #expect(try await store.deleteExpiredSessions(at: clock.now()) == 1)
        #expect(try await store.deleteExpiredSessions(at: clock.now()) == 0)
        #expect(try await store.session(tokenHash: long.tokenHash, at: clock.now()) == long)
    }
}
