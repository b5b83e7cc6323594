@testable import CountersignSQLite
import CountersignStore
import CountersignCore
import Foundation
import Testing

@Suite("Login sessions")
struct SessionTests {
    private let token = Array("correct-horse-battery-staple-0123456789".utf8)

    private func login(_ scratch: Scratch, token: [UInt8], lifetime: TimeInterval = 3600) async throws -> LoginSession {
        let now = scratch.clock.now()
        let session = LoginSession(
            tokenHash: LoginSession.tokenHash(of: token), username: try Fixtures.user("alice"),
            createdAt: now, expiresAt: now.addingTimeInterval(lifetime)
        )
        try await scratch.store.createSession(session, event: AuditEvent(time: now, actor: "alice", action: .loginSucceeded, subject: "alice"))
        return session
    }

    @Test("a session is found by its token hash, and its login is audited")
    func createAndFind() async throws {
        try await withScratchStore { scratch in
            let session = try await login(scratch, token: token)
            #expect(try await scratch.store.session(tokenHash: LoginSession.tokenHash(of: token), at: scratch.clock.now()) == session)
            #expect(try await scratch.store.auditHead()?.event.action == .loginSucceeded)
        }
    }

    @Test("a session is not found once it has expired")
    func expiredIsNotFound() async throws {
        try await withScratchStore { scratch in
            let session = try await login(scratch, token: token, lifetime: 600)
            scratch.clock.advance(by: 599)
            #expect(try await scratch.store.session(tokenHash: session.tokenHash, at: scratch.clock.now()) != nil)
            scratch.clock.advance(by: 1)
            #expect(try await scratch.store.session(tokenHash: session.tokenHash, at: scratch.clock.now()) == nil)
        }
    }

    @Test("an unknown token finds nothing")
    func unknownToken() async throws {
        try await withScratchStore { scratch in
            _ = try await login(scratch, token: token)
            #expect(try await scratch.store.session(tokenHash: LoginSession.tokenHash(of: Array("guess".utf8)), at: scratch.clock.now()) == nil)
        }
    }

    @Test("the same token cannot open two sessions")
    func duplicateSession() async throws {
        try await withScratchStore { scratch in
            _ = try await login(scratch, token: token)
            let code = await storeErrorCode { _ = try await login(scratch, token: token) }
            #expect(code == .alreadyExists)
            #expect(try await scratch.auditCount() == 1)
        }
    }

    @Test("logout deletes the session and audits it in the same transaction")
    func logout() async throws {
        try await withScratchStore { scratch in
            let session = try await login(scratch, token: token)
            let event = AuditEvent(time: scratch.clock.now(), actor: "alice", action: .logout, subject: "alice")
            #expect(try await scratch.store.deleteSession(tokenHash: session.tokenHash, event: event))
            #expect(try await scratch.store.session(tokenHash: session.tokenHash, at: scratch.clock.now()) == nil)
            #expect(try await scratch.store.auditHead()?.event == event)
        }
    }

    @Test("logging out of a session that does not exist changes and audits nothing")
    func logoutUnknown() async throws {
        try await withScratchStore { scratch async throws in
            let event = AuditEvent(time: scratch.clock.now(), actor: "alice", action: .logout, subject: "alice")
            #expect(try await !scratch.store.deleteSession(tokenHash: LoginSession.tokenHash(of: token), event: event))
            #expect(try await scratch.auditCount() == 0)
        }
    }

    @Test("expired sessions are swept; live ones stay")
    func sweep() async throws {
        try await withScratchStore { scratch in
            let short = try await login(scratch, token: Array("short-lived".utf8), lifetime: 60)
            let long = try await login(scratch, token: token, lifetime: 7200)
            scratch.clock.advance(by: 60)
            #expect(try await scratch.store.deleteExpiredSessions(at: scratch.clock.now()) == 1)
            #expect(try await scratch.store.session(tokenHash: long.tokenHash, at: scratch.clock.now()) == long)
            scratch.clock.set(short.createdAt)
            #expect(try await scratch.store.session(tokenHash: short.tokenHash, at: scratch.clock.now()) == nil)
        }
    }

    @Test("the raw token appears nowhere in the database files")
    func onlyTheHashIsStored() async throws {
        try await withScratchStore { scratch in
            _ = try await login(scratch, token: token)
            var stored = Data()
            for suffix in ["", "-wal"] {
                stored += FileManager.default.contents(atPath: scratch.databasePath + suffix) ?? Data()
            }
            #expect(stored.range(of: Data(LoginSession.tokenHash(of: token))) != nil, "the hash itself should be there")
            #expect(stored.range(of: Data(token)) == nil)
        }
    }
}
