import CountersignAPI
import Foundation
import GRDB
import Testing
import WebAuthn
import WebAuthnTesting

@Suite("Hardware-key approvals with a live countersignd and the CLI")
struct HardwareKeyCLITests {
    typealias HTTP = DurabilityTests

    /// Enrols `authenticator` for `user` with an invite `countersign admin invite` printed.
    static func enrol(_ user: String, invite: String, authenticator: SoftwareAuthenticator, at url: String) async throws -> String {
        let token = try await HTTP.login(user, at: url)
        let options = try APICoding.makeDecoder().decode(
            RegistrationOptionsView.self, from: try await HTTP.post(url + "/v1/keys/registration-options", Optional<String>.none, token: token)
        )
        let (object, clientData) = authenticator.register(challenge: options.challenge)
        _ = try await HTTP.post(url + "/v1/keys", EnrolKeyBody(
            ceremonyId: options.ceremonyId, inviteCode: invite, name: "desk", credentialId: Base64URL.encode(authenticator.credentialID),
            attestationObject: Base64URL.encode(object), clientDataJSON: Base64URL.encode(clientData)
        ), token: token)
        return token
    }

    static func approve(_ id: String, token: String, authenticator: inout SoftwareAuthenticator, at url: String) async throws {
        let options = try APICoding.makeDecoder().decode(
            AssertionOptionsView.self, from: try await HTTP.post(url + "/v1/requests/\(id)/approval-options", Optional<String>.none, token: token)
        )
        let signed = try authenticator.sign(challenge: options.challenge)
        _ = try await HTTP.post(url + "/v1/requests/\(id)/approve-with-key", AssertionBody(
            ceremonyId: options.ceremonyId, credentialId: Base64URL.encode(authenticator.credentialID),
            authenticatorData: Base64URL.encode(signed.authenticatorData), clientDataJSON: Base64URL.encode(signed.clientDataJSON),
            signature: Base64URL.encode(signed.signature), userHandle: nil
        ), token: token)
    }

    @Test("An admin invites with the CLI, two SREs approve with keys, and verify-approvals checks them online and offline")
    func walkthrough() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let daemon = try await Daemon.start(scratch: scratch, extraArguments: ["--public-url", "http://localhost:8080"])
        let alice = try await daemon.loggedInCLI("alice", scratch: scratch)
        let erin = try await daemon.loggedInCLI("erin", scratch: scratch)

        let refused = try await alice.run("admin", "invite", "carol")
        #expect(refused.status == 1, "\(refused.standardError)")
        #expect(refused.standardError.contains("forbidden"))

        var carolsKey = SoftwareAuthenticator()
        var davesKey = SoftwareAuthenticator()
        var tokens: [String: String] = [:]
        for (user, key) in [("carol", carolsKey), ("dave", davesKey)] {
            let invite = try await APICoding.makeDecoder().decode(InviteView.self, from: Data(try erin.run("admin", "invite", user, "--json").standardOutput.utf8))
            tokens[user] = try await Self.enrol(user, invite: invite.code, authenticator: key, at: daemon.url)
        }

        let filed = try await alice.run(
            "request", "deploy", "--service", "search-api", "--environment", "production", "--commit", CLIWalkthroughTests.commit,
            "--reason", "Ship the new ranking model", "--ticket", "CHG-7", "--quiet"
        )
        try filed.requireSuccess()
        let id = filed.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        try await Self.approve(id, token: try #require(tokens["carol"]), authenticator: &carolsKey, at: daemon.url)
        try await Self.approve(id, token: try #require(tokens["dave"]), authenticator: &davesKey, at: daemon.url)
        #expect(try await alice.run("wait", id, "--timeout", "5s").status == 0)

        let online = try await erin.run("audit", "verify-approvals")
        #expect(online.status == 0, "\(online.standardError)")
        #expect(online.standardOutput.contains("Approvals verified: 2 with hardware keys"))
        #expect(try await alice.run("audit", "verify-approvals").status == 1)

        // A lost key: an admin removes it by id; nobody else may, and it is gone afterwards.
        // `--` because a base64url id may begin with '-' (one in 64), which would read as an option.
        let daveKey = Base64URL.encode(davesKey.credentialID)
        let byAlice = try await alice.run("admin", "remove-key", "--", "dave", daveKey)
        #expect(byAlice.status == 1, "\(byAlice.standardError)")
        try await erin.run("admin", "remove-key", "--", "dave", daveKey).requireSuccess()
        let again = try await erin.run("admin", "remove-key", "--", "dave", daveKey)
        #expect(again.status == 1, "\(again.standardError)")
        #expect(try await erin.run("admin", "remove-key", "--", "dave", "not/base64").status == 2)
        // A user name with '.' or '-' reaches the gateway as written: no key (1), not a bad name (2).
        let dotted = try await erin.run("admin", "remove-key", "--", "first.last-name", daveKey)
        #expect(dotted.status == 1 && dotted.standardError.contains("not_found"), "\(dotted.standardError)")

        #expect(try await daemon.stop(signal: SIGTERM) == 0)
        let database = daemon.dataDirectory + "/countersign.sqlite"
        let offline = try await erin.run("audit", "verify-approvals", "--db", database, "--json")
        #expect(offline.status == 0, "\(offline.standardError)")
        #expect(try APICoding.makeDecoder().decode(ApprovalVerificationView.self, from: Data(offline.standardOutput.utf8)).approvalsVerified == 2)

        let copy = scratch.path("tampered.sqlite")
        try await erin.run("admin", "backup", "--db", database, copy).requireSuccess()
        let raw = try DatabaseQueue(path: copy)
        try await raw.write { db in
            for trigger in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger'") { try db.execute(sql: "DROP TRIGGER \(trigger)") }
            try db.execute(sql: "UPDATE approval_evidence SET nonce = zeroblob(32) WHERE position = 1")
        }
        let tampered = try await erin.run("audit", "verify-approvals", "--db", copy)
        #expect(tampered.status == 1)
        #expect(tampered.standardError.contains("request \(id), approval 1 by dave: challenge_mismatch"), "\(tampered.standardError)")
    }
}
