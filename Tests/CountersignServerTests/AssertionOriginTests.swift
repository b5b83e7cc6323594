import CountersignAPI
import Crypto
import Foundation
import Testing
import WebAuthn
import WebAuthnTesting

/// A client that is not a browser (the CLI through fido2-assert) writes the client data itself:
/// the options tell it the one origin the gateway checks, and client data with nothing but the
/// members WebAuthn defines, in the spec's order, is accepted as a browser's is.
@Suite("Assertion options name the gateway's origin for clients that are not browsers")
struct AssertionOriginTests {
    @Test("approval options name the public URL's origin, and a touch whose client data has only type, challenge, origin and crossOrigin approves")
    func plainClientDataForTheNamedOrigin() async throws {
        try await HardwareKeyAPITests.harness().run { api in
            let (alice, carol, erin) = (try await api.login("alice"), try await api.login("carol"), try await api.login("erin"))
            var key = SoftwareAuthenticator()
            _ = try await HardwareKeyAPITests.enrol(api, "carol", token: carol, admin: erin, authenticator: key)
            let filed = try await HardwareKeyAPITests.fileKeyDeploy(api, token: alice)
            let options = try api.decode(AssertionOptionsView.self, try await api.send(.post, "/v1/requests/\(filed.id)/approval-options", token: carol))
            #expect(options.origin == "http://localhost:8080")

            let origin = try #require(options.origin)
            let clientData = Array(#"{"type":"webauthn.get","challenge":"\#(options.challenge)","origin":"\#(origin)","crossOrigin":false}"#.utf8)
            key.counter += 1
            let authenticatorData = key.rpIDHash + [0x05, 0, 0, 0, UInt8(key.counter)]
            let signature = try key.privateKey.signature(for: SHA256.hash(data: authenticatorData + Array(SHA256.hash(data: clientData)))).derRepresentation
            let approved = try await api.send(.post, "/v1/requests/\(filed.id)/approve-with-key", body: AssertionBody(
                ceremonyId: options.ceremonyId, credentialId: Base64URL.encode(key.credentialID), authenticatorData: Base64URL.encode(authenticatorData),
                clientDataJSON: Base64URL.encode(clientData), signature: Base64URL.encode(Array(signature)), userHandle: nil
            ), token: carol)
            #expect(approved.status == .ok, "\(String(buffer: approved.body))")
            #expect(try api.decode(RequestView.self, approved).approvals.map(\.method) == ["hardware_key"])
        }
    }
}
