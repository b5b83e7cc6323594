import Crypto
import Foundation
import Testing
import X509
@testable import WebAuthn

@Suite("Attestation trust: roots that certificate attestations must chain to, and allowed models")
struct AttestationTrustTests {
    typealias Fixtures = AttestationFixtures
    static let otherAAGUID = [UInt8](repeating: 0x11, count: 16)

    /// One registration and the trust it meets, and what must come of it.
    struct Case: Sendable, CustomTestStringConvertible {
        enum Outcome: Sendable, Equatable {
            /// Accepted, chaining to the test root with this common name (nil: no roots configured).
            case accepted(root: String?)
            case refused(WebAuthnError.Code)
        }

        let label: String
        let outcome: Outcome
        let make: @Sendable () throws -> (registration: (object: [UInt8], clientData: [UInt8]), trust: AttestationTrust)
        var time = Fixtures.ceremonyTime
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "a leaf issued by the trusted root is accepted, naming the root", outcome: .accepted(root: "Vendor Root A")) {
            let root = try Fixtures.root("Vendor Root A")
            let leaf = try Fixtures.attestation(issuedBy: root)
            return (try Fixtures.registration(.x5c(leaf, intermediates: [])), try AttestationTrust(roots: [root.certificate]))
        },
        Case(label: "a leaf under an intermediate sent in x5c is accepted", outcome: .accepted(root: "Vendor Root A")) {
            let root = try Fixtures.root("Vendor Root A")
            let intermediate = try Fixtures.intermediate("Vendor Batch 7", issuedBy: root)
            let leaf = try Fixtures.attestation(issuedBy: intermediate)
            return (try Fixtures.registration(.x5c(leaf, intermediates: [intermediate])), try AttestationTrust(roots: [root.certificate]))
        },
        Case(label: "the matching root is found among several", outcome: .accepted(root: "Vendor Root B")) {
            let (first, second) = (try Fixtures.root("Vendor Root A"), try Fixtures.root("Vendor Root B"))
            let leaf = try Fixtures.attestation(issuedBy: second)
            return (try Fixtures.registration(.x5c(leaf, intermediates: [])), try AttestationTrust(roots: [first.certificate, second.certificate]))
        },
        Case(label: "a chain to another root, even one of the same name, is refused", outcome: .refused(.attestationUntrusted)) {
            let (trusted, other) = (try Fixtures.root("Vendor Root A"), try Fixtures.root("Vendor Root A"))
            let leaf = try Fixtures.attestation(issuedBy: other)
            return (try Fixtures.registration(.x5c(leaf, intermediates: [])), try AttestationTrust(roots: [trusted.certificate]))
        },
        Case(label: "a leaf whose intermediate was not sent is refused", outcome: .refused(.attestationUntrusted)) {
            let root = try Fixtures.root("Vendor Root A")
            let intermediate = try Fixtures.intermediate("Vendor Batch 7", issuedBy: root)
            let leaf = try Fixtures.attestation(issuedBy: intermediate)
            return (try Fixtures.registration(.x5c(leaf, intermediates: [])), try AttestationTrust(roots: [root.certificate]))
        },
        Case(label: "a leaf issued by a certificate that is not a CA is refused (RFC 5280 basic constraints)", outcome: .refused(.attestationUntrusted)) {
            let root = try Fixtures.root("Vendor Root A")
            let notCA = try Fixtures.intermediate("Vendor Batch 7", issuedBy: root, isCA: false)
            let leaf = try Fixtures.attestation(issuedBy: notCA)
            return (try Fixtures.registration(.x5c(leaf, intermediates: [notCA])), try AttestationTrust(roots: [root.certificate]))
        },
        Case(label: "a self-signed attestation certificate is refused", outcome: .refused(.attestationUntrusted)) {
            let root = try Fixtures.root("Vendor Root A")
            let leaf = try Fixtures.attestation(issuedBy: nil)
            return (try Fixtures.registration(.x5c(leaf, intermediates: [])), try AttestationTrust(roots: [root.certificate]))
        },
        Case(label: "'none' is refused when roots are set", outcome: .refused(.attestationUntrusted)) {
            (try Fixtures.registration(.none), try AttestationTrust(roots: [try Fixtures.root("Vendor Root A").certificate]))
        },
        Case(label: "self attestation is refused when roots are set", outcome: .refused(.attestationUntrusted)) {
            (try Fixtures.registration(.selfAttestation), try AttestationTrust(roots: [try Fixtures.root("Vendor Root A").certificate]))
        },
        Case(label: "a leaf expired at the ceremony's time is refused", outcome: .refused(.attestationUntrusted)) {
            let root = try Fixtures.root("Vendor Root A")
            let expired = Fixtures.ceremonyTime.addingTimeInterval(-86_400)...Fixtures.ceremonyTime.addingTimeInterval(-1)
            let leaf = try Fixtures.attestation(issuedBy: root, validity: expired)
            return (try Fixtures.registration(.x5c(leaf, intermediates: [])), try AttestationTrust(roots: [root.certificate]))
        },
        Case(label: "a leaf not yet valid at the ceremony's time is refused", outcome: .refused(.attestationUntrusted)) {
            let root = try Fixtures.root("Vendor Root A")
            let future = Fixtures.ceremonyTime.addingTimeInterval(60)...Fixtures.ceremonyTime.addingTimeInterval(86_400)
            let leaf = try Fixtures.attestation(issuedBy: root, validity: future)
            return (try Fixtures.registration(.x5c(leaf, intermediates: [])), try AttestationTrust(roots: [root.certificate]))
        },
        Case(label: "a root expired at the ceremony's time is refused", outcome: .refused(.attestationUntrusted)) {
            let root = try Fixtures.root("Vendor Root A", validity: Fixtures.ceremonyTime.addingTimeInterval(-86_400)...Fixtures.ceremonyTime.addingTimeInterval(-1))
            let leaf = try Fixtures.attestation(issuedBy: root)
            return (try Fixtures.registration(.x5c(leaf, intermediates: [])), try AttestationTrust(roots: [root.certificate]))
        },
        Case(label: "the same valid chain, judged a day later than it expires, is refused", outcome: .refused(.attestationUntrusted), make: {
            let root = try Fixtures.root("Vendor Root A")
            let leaf = try Fixtures.attestation(issuedBy: root)
            return (try Fixtures.registration(.x5c(leaf, intermediates: [])), try AttestationTrust(roots: [root.certificate]))
        }, time: Fixtures.ceremonyTime.addingTimeInterval(2 * 86_400)),
        Case(label: "an AAGUID on the list, named by a certificate from a trusted root, is accepted", outcome: .accepted(root: "Vendor Root A")) {
            let root = try Fixtures.root("Vendor Root A")
            let leaf = try Fixtures.attestation(issuedBy: root)
            return (try Fixtures.registration(.x5c(leaf, intermediates: [])), try AttestationTrust(roots: [root.certificate], allowedAAGUIDs: [otherAAGUID, Fixtures.aaguid]))
        },
        Case(label: "an AAGUID not on the list is refused", outcome: .refused(.authenticatorNotAllowed)) {
            let root = try Fixtures.root("Vendor Root A")
            let leaf = try Fixtures.attestation(issuedBy: root)
            return (try Fixtures.registration(.x5c(leaf, intermediates: [])), try AttestationTrust(roots: [root.certificate], allowedAAGUIDs: [otherAAGUID]))
        },
        Case(label: "a listed AAGUID that the certificate does not name is unproven, and refused", outcome: .refused(.attestationUntrusted)) {
            let root = try Fixtures.root("Vendor Root A")
            let leaf = try Fixtures.attestation(issuedBy: root, aaguid: nil)
            return (try Fixtures.registration(.x5c(leaf, intermediates: [])), try AttestationTrust(roots: [root.certificate], allowedAAGUIDs: [Fixtures.aaguid]))
        },
        Case(label: "a listed AAGUID from a 'none' registration is only a claim, and refused", outcome: .refused(.attestationUntrusted)) {
            (try Fixtures.registration(.none), try AttestationTrust(roots: [try Fixtures.root("Vendor Root A").certificate], allowedAAGUIDs: [Fixtures.aaguid]))
        },
        Case(label: "with roots but no list, a certificate that names no model is accepted", outcome: .accepted(root: "Vendor Root A")) {
            let root = try Fixtures.root("Vendor Root A")
            let leaf = try Fixtures.attestation(issuedBy: root, aaguid: nil)
            return (try Fixtures.registration(.x5c(leaf, intermediates: [])), try AttestationTrust(roots: [root.certificate]))
        },
        Case(label: "without trust configured, 'none' is accepted as today", outcome: .accepted(root: nil)) {
            (try Fixtures.registration(.none), AttestationTrust.unrestricted)
        },
        Case(label: "without trust configured, a self-signed certificate attestation is accepted as today", outcome: .accepted(root: nil)) {
            (try Fixtures.registration(.x5c(try Fixtures.attestation(issuedBy: nil), intermediates: [])), AttestationTrust.unrestricted)
        },
    ]

    @Test("each registration is accepted or refused as the trust requires", arguments: cases)
    func decides(_ testCase: Case) async throws {
        let (registration, trust) = try testCase.make()
        let credential = try Fixtures.verify(registration)
        let outcome: Case.Outcome
        do {
            let verdict = try await trust.evaluate(credential, at: testCase.time)
            outcome = .accepted(root: verdict.rootSubject)
        } catch {
            outcome = .refused(error.code)
        }
        let expected: Case.Outcome = switch testCase.outcome {
        case .accepted(let name?): .accepted(root: "CN=\(name),O=Countersign Test Vendor,C=SE")
        default: testCase.outcome
        }
        #expect(outcome == expected, "\(testCase.label)")
    }

    @Test("the verdict names the root's whole subject for the audit log")
    func rootSubject() async throws {
        let root = try Fixtures.root("Vendor Root A")
        let credential = try Fixtures.verify(try Fixtures.registration(.x5c(try Fixtures.attestation(issuedBy: root), intermediates: [])))
        let verdict = try await AttestationTrust(roots: [root.certificate]).evaluate(credential, at: Fixtures.ceremonyTime)
        #expect(verdict.rootSubject == "CN=Vendor Root A,O=Countersign Test Vendor,C=SE")
        #expect(verdict.evidence.format == .packedCertificate)
    }

    @Test("what an attestation object claims is what the ceremony verifies, for none, self and x5c")
    func claimedEvidence() throws {
        let root = try Fixtures.root("Vendor Root A")
        let intermediate = try Fixtures.intermediate("Vendor Batch 7", issuedBy: root)
        for statement in [Fixtures.Statement.none, .selfAttestation, .x5c(try Fixtures.attestation(issuedBy: intermediate), intermediates: [intermediate])] {
            let registration = try Fixtures.registration(statement)
            let claimed = try AttestationEvidence(claimedIn: registration.object)
            #expect(claimed == (try Fixtures.verify(registration)).evidence)
        }
    }

    @Test("a verdict about one attestation does not confirm a credential carrying another")
    func confirmBindsTheEvidence() async throws {
        let root = try Fixtures.root("Vendor Root A")
        let trust = try AttestationTrust(roots: [root.certificate])
        let vetted = try Fixtures.registration(.x5c(try Fixtures.attestation(issuedBy: root), intermediates: []))
        let verdict = try await trust.evaluate(AttestationEvidence(claimedIn: vetted.object), at: Fixtures.ceremonyTime)
        try verdict.confirm(try Fixtures.verify(vetted))
        let swapped = try Fixtures.verify(try Fixtures.registration(.x5c(try Fixtures.attestation(issuedBy: root), intermediates: [])))
        #expect(throws: WebAuthnError(.attestationUntrusted, "")) { try verdict.confirm(swapped) }
    }

    @Test("an AAGUID list without roots, an empty one, a short AAGUID or a root that is not X.509 is refused as configuration", arguments: [
        "aaguids without roots", "empty aaguids", "15-byte aaguid", "garbage root",
    ])
    func configuration(_ label: String) throws {
        let root = try Fixtures.root("Vendor Root A")
        #expect(throws: WebAuthnError(.invalidTrustConfiguration, ""), "\(label)") {
            switch label {
            case "aaguids without roots": _ = try AttestationTrust(roots: [], allowedAAGUIDs: [Fixtures.aaguid])
            case "empty aaguids": _ = try AttestationTrust(roots: [root.certificate], allowedAAGUIDs: [])
            case "15-byte aaguid": _ = try AttestationTrust(roots: [root.certificate], allowedAAGUIDs: [Array(Fixtures.aaguid.dropLast())])
            default: _ = try AttestationTrust(rootsDER: [root.der, [0x30, 0x03, 0x02, 0x01, 0x00]])
            }
        }
        // The same roots well formed are a usable configuration: the refusals above are about their flaw.
        #expect(try AttestationTrust(rootsDER: [root.der], allowedAAGUIDs: [Fixtures.aaguid]).requiresAttestation)
        #expect(!AttestationTrust.unrestricted.requiresAttestation)
    }

    @Test("an AAGUID is written as a UUID")
    func aaguidText() {
        #expect(AttestationTrust.text(of: [0xcb, 0x69, 0x48, 0x1e, 0x8f, 0xf7, 0x40, 0x39, 0x93, 0xec, 0x0a, 0x27, 0x29, 0xa1, 0x54, 0xa8]) == "cb69481e-8ff7-4039-93ec-0a2729a154a8")
    }
}

@Suite("Attestation trust on real YubiKey registrations (py_webauthn's vectors) and Yubico's published root")
struct YubicoRootTests {
    /// Yubico U2F Root CA Serial 457200631, as Yubico publishes it (valid 2014-08-01 to 2050-09-04).
    static let yubicoRoot: Certificate = {
        let url = Bundle.module.url(forResource: "yubico-u2f-root-ca-457200631", withExtension: "pem", subdirectory: "Vectors")!
        return try! Certificate(pemEncoded: String(contentsOf: url, encoding: .utf8))
    }()

    static func yubiKeyRegistrations() -> [DeviceVectors.Registration] {
        DeviceVectors.loaded.registration.filter { $0.fmt == "packed" }
    }

    static func credential(_ vector: DeviceVectors.Registration) throws -> RegisteredCredential {
        try RegistrationCeremony(
            relyingParty: RelyingParty(id: "localhost", origin: vector.origin), challenge: [UInt8](hex: vector.challenge), userVerification: .preferred
        ).verify(attestationObject: [UInt8](hex: vector.attestationObject), clientDataJSON: [UInt8](hex: vector.clientDataJSON))
    }

    static let registrationDay = Date(timeIntervalSince1970: 1_767_225_600) // 2026-01-01

    @Test("a YubiKey's attestation chains to Yubico's root and names its model", arguments: yubiKeyRegistrations())
    func chainsToYubico(_ vector: DeviceVectors.Registration) async throws {
        let credential = try Self.credential(vector)
        let verdict = try await AttestationTrust(roots: [Self.yubicoRoot], allowedAAGUIDs: [credential.aaguid]).evaluate(credential, at: Self.registrationDay)
        #expect(verdict.rootSubject == "CN=Yubico U2F Root CA Serial 457200631")
    }

    @Test("the same YubiKey attestation is refused for a root it does not chain to, and after its certificate expires", arguments: yubiKeyRegistrations())
    func refusedOtherwise(_ vector: DeviceVectors.Registration) async throws {
        let credential = try Self.credential(vector)
        let otherRoot = try AttestationFixtures.root("Yubico U2F Root CA Serial 457200631").certificate
        await #expect(throws: WebAuthnError(.attestationUntrusted, "")) {
            try await AttestationTrust(roots: [otherRoot]).evaluate(credential, at: Self.registrationDay)
        }
        let afterExpiry = Date(timeIntervalSince1970: 2_546_000_000) // 2050-09-05
        await #expect(throws: WebAuthnError(.attestationUntrusted, "")) {
            try await AttestationTrust(roots: [Self.yubicoRoot]).evaluate(credential, at: afterExpiry)
        }
        await #expect(throws: WebAuthnError(.authenticatorNotAllowed, "")) {
            try await AttestationTrust(roots: [Self.yubicoRoot], allowedAAGUIDs: [AttestationTrustTests.otherAAGUID]).evaluate(credential, at: Self.registrationDay)
        }
    }
}
