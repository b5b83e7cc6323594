import CountersignCore
@testable import CountersignServer
import CountersignSQLite
import CountersignStore
import DeployTokens
import Foundation
import Keyring
import Testing

/// The one rotation every credential signer shares: nothing is published that was not audited
/// first, whichever key it is.
@Suite("Key rotation, audited before published")
struct KeyRotationAuditTests {
    static let erin = Actor(name: try! Username("erin"), groups: [WellKnownGroup.admins])

    /// A SQLite store in a fresh directory, writable or opened again read-only.
    static func withStore<Value>(readOnly: Bool, _ body: (any GatewayStore) async throws -> Value) async throws -> Value {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("countersign-rotation-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("gateway.sqlite").path
        let writable = try SQLiteStore.open(path: path)
        return try await body(readOnly ? try SQLiteStore.openReadOnly(path: path) : writable)
    }

    static func issuer(_ store: any GatewayStore, _ keyring: any Keyring, _ clock: ManualClock) -> DeployTokenIssuer {
        DeployTokenIssuer(store: store, keyring: keyring, issuer: DeployTokenIssuer.unnamedIssuer, clock: clock)
    }

    @Test("an audit log that refuses the event leaves the keyring as it was: one key, signing and published alone")
    func unauditedIsUnpublished() async throws {
        try await Self.withStore(readOnly: true) { store in
            let keyring = EphemeralKeyring()
            let clock = ManualClock()
            let issuer = Self.issuer(store, keyring, clock)
            let before = try issuer.publishedKeys().keys.map(\.id)
            await #expect(throws: (any Error).self) { try await issuer.rotation.rotate(switchAfter: 0, by: Self.erin) }
            #expect(try keyring.keySet(for: .deployTokens).schedule == .initial)
            #expect(try issuer.publishedKeys().keys.map(\.id) == before)
            #expect(try issuer.signer(at: clock.now()).keyID == before.first)
        }
    }

    @Test("an audited rotation is published, and its event names each key as its verifiers do")
    func auditedIsPublished() async throws {
        try await Self.withStore(readOnly: false) { store in
            let keyring = EphemeralKeyring()
            let clock = ManualClock()
            let rotation = try await Self.issuer(store, keyring, clock).rotation.rotate(switchAfter: 60, by: Self.erin)
            #expect(try keyring.keySet(for: .deployTokens).schedule == rotation.schedule)
            let event = try #require(try await store.auditHead()).event
            let kids = rotation.published(at: clock.now()).map { DeployTokenKeySet.keyID(of: $0.publicKey) }
            #expect(event.action == .keyRotationScheduled && event.subject == KeyPurpose.deployTokens.rawValue)
            #expect([event.details["current_fingerprint"], event.details["next_fingerprint"]] == kids.map(Optional.some))
            #expect(try keyring.keySet(for: .sshUserCertificates).schedule == .initial, "the SSH CA's key is not the token key")
        }
    }
}
