import DeployTokens
import Foundation
import Keyring
import Testing
import WebAuthn

@Suite("Deploy token verification: what a genuine token proves, and when it stops")
struct VerifierTests {
    @Test("a token the gateway signed verifies for exactly its rollout and gives back its claims")
    func genuine() throws {
        let fixture = try TokenFixture()
        let claims = TokenFixture.claims()
        #expect(try fixture.verify(try fixture.token(claims)) == claims)
        #expect(try fixture.verify(try fixture.token(), expecting: DeployTokenExpectation(
            service: "payments-api", environment: "production", commit: TokenFixture.commit
        )).subject == "bob", "without an expected issuer, any issuer's signed token for the rollout is taken")
    }

    @Test("the header and claims are written as the gateway always writes them")
    func wireForm() throws {
        let fixture = try TokenFixture()
        let parts = try fixture.token().split(separator: ".")
        #expect(parts.count == 3)
        #expect(String(decoding: try #require(Base64URL.decode(String(parts[0]))), as: UTF8.self) == fixture.header)
        #expect(try fixture.payload == #"{"approvers":[{"method":"hardware_key","name":"carol"},{"method":"session","name":"dave"}],"#
            + #""aud":"deploy","commit":"\#(TokenFixture.commit)","environment":"production","exp":1800001800,"iat":1800000000,"#
            + #""iss":"https://countersign.example.com","jti":"42","nbf":1799999940,"request_id":"0123456789abcdefghjk","#
            + #""service":"payments-api","sub":"bob"}"#)
    }

    @Test("another service, environment or commit than the one being deployed is refused by name")
    func otherRollout() throws {
        let fixture = try TokenFixture()
        let token = try fixture.token()
        let commit = TokenFixture.commit
        for expected in [
            DeployTokenExpectation(service: "payments-web", environment: "production", commit: commit),
            DeployTokenExpectation(service: "payments-api", environment: "staging", commit: commit),
            DeployTokenExpectation(service: "payments-api", environment: "production", commit: String(commit.reversed())),
            DeployTokenExpectation(service: "Payments-api", environment: "production", commit: commit),
        ] {
            #expect(fixture.refusal(token, expecting: expected) == .claimMismatch, "\(expected)")
        }
    }

    @Test("a token another gateway issued is refused when the caller names its gateway")
    func otherIssuer() throws {
        let fixture = try TokenFixture()
        let expected = DeployTokenExpectation(service: "payments-api", environment: "production", commit: TokenFixture.commit, issuer: "https://other.example.com")
        #expect(fixture.refusal(try fixture.token(), expecting: expected) == .wrongIssuer)
    }

    @Test("a genuine signature over another audience is refused")
    func otherAudience() throws {
        let fixture = try TokenFixture()
        for audience in ["admin", "Deploy", "deploy ", ""] {
            #expect(fixture.refusal(try fixture.token(TokenFixture.claims(audience: audience))) == .wrongAudience, "\(audience)")
        }
        let array = try fixture.payload.replacingOccurrences(of: #""aud":"deploy""#, with: #""aud":["deploy"]"#)
        #expect(fixture.refusal(try fixture.forge(header: fixture.header, payload: array)) == .malformed, "aud is one string, as the gateway writes it")
    }

    @Test("valid from nbf and until exp, each with the verifier's leeway and not a second more")
    func window() throws {
        let fixture = try TokenFixture()
        let claims = TokenFixture.claims()
        let token = try fixture.token(claims)
        let leeway = DeployTokenVerifier.leeway
        #expect(fixture.refusal(token, at: claims.expiresAt.addingTimeInterval(leeway - 1)) == nil)
        #expect(fixture.refusal(token, at: claims.expiresAt.addingTimeInterval(leeway)) == .expired)
        #expect(fixture.refusal(token, at: claims.expiresAt.addingTimeInterval(86_400)) == .expired)
        #expect(fixture.refusal(token, at: claims.notBefore.addingTimeInterval(-leeway)) == nil)
        #expect(fixture.refusal(token, at: claims.notBefore.addingTimeInterval(-leeway - 1)) == .notYetValid)
    }

    @Test("signed claims the gateway never writes are refused: no approver, one twice, a window past a day, names with control characters")
    func claimShapes() throws {
        let fixture = try TokenFixture()
        let carol = DeployTokenApprover(name: "carol", method: .hardwareKey)
        let now = TokenFixture.now
        for claims in [
            TokenFixture.claims(approvers: []),
            TokenFixture.claims(approvers: [carol, carol]),
            TokenFixture.claims(approvers: Array(repeating: carol, count: 33).enumerated().map { .init(name: "r\($0.offset)", method: $0.element.method) }),
            TokenFixture.claims(expiresAt: now.addingTimeInterval(2 * 86_400)),
            TokenFixture.claims(notBefore: now.addingTimeInterval(10)),
            TokenFixture.claims(expiresAt: now),
            TokenFixture.claims(subject: ""),
            TokenFixture.claims(subject: "bob\u{1B}[2J"),
            TokenFixture.claims(subject: String(repeating: "b", count: 600)),
        ] {
            #expect(fixture.refusal(try fixture.token(claims)) == .invalidClaims, "\(claims)")
        }
    }

    @Test("a time that is not a whole number of seconds from 1970 to 9999, or a method other than key or session, is not a deploy token")
    func claimTypes() throws {
        let fixture = try TokenFixture()
        let payload = try fixture.payload
        for (original, changed) in [
            (#""exp":1800001800"#, #""exp":1800001800.5"#), (#""exp":1800001800"#, #""exp":"1800001800""#),
            (#""exp":1800001800"#, #""exp":1.8000018e9"#), (#""nbf":1799999940"#, #""nbf":-1"#),
            (#""exp":1800001800"#, #""exp":99999999999999"#), (#""method":"session""#, #""method":"password""#),
        ] {
            let forged = try fixture.forge(header: fixture.header, payload: payload.replacingOccurrences(of: original, with: changed))
            #expect(fixture.refusal(forged) == .malformed, "\(changed)")
        }
    }
}
