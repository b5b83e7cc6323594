import Crypto
import CountersignSSH
import Foundation
import Keyring
import NIOCore
import NIOSSH
import Testing
import TestSupport

@Suite("OpenSSH certificates, read back by ssh-keygen and swift-nio-ssh")
struct SSHCertificateTests {
    typealias Fixtures = CertificateFixtures

    @Test("ssh-keygen reads back every field the gateway signed")
    func sshKeygenReadsEveryField() async throws {
        let ca = try Fixtures.certificateAuthority()
        let signed = try Fixtures.certificate().signed(by: ca)
        try await OpenSSHTool.withScratch { tool throws in
            let path = try tool.write("bob-cert.pub", signed.openSSHLine(comment: "bob@countersign"))
            let listing = try await tool.keygen(["-L", "-f", path])
            #expect(listing.status == 0, "\(listing.output)")
            let lines = listing.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(lines.contains("Type: ssh-ed25519-cert-v01@openssh.com user certificate"))
            #expect(lines.contains("Public key: ED25519-CERT \(SSHEd25519PublicKey(Fixtures.subject.publicKey).fingerprint)"))
            #expect(lines.contains("Signing CA: ED25519 \(SSHEd25519PublicKey(ca.publicKey).fingerprint) (using ssh-ed25519)"))
            #expect(lines.contains(#"Key ID: "countersign:0123456789abcdefghjk:bob""#))
            #expect(lines.contains("Serial: 42"))
            #expect(lines.contains("Valid: from 2026-12-01T10:00:00 to 2026-12-01T10:15:00"))
            #expect(lines.contains("force-command /usr/bin/countersign record"))
            #expect(lines.contains("source-address 10.0.0.0/8,192.0.2.7"))
            let principals = try #require(lines.firstIndex(of: "Principals:"))
            #expect(lines[principals + 1] == "postgres")
            let extensions = try #require(lines.firstIndex(of: "Extensions:"))
            #expect(Array(lines[(extensions + 1)...]) == ["permit-pty"])
        }
    }

    @Test("swift-nio-ssh parses the certificate and validates its signature against the CA, for its principal only")
    func nioSSHValidates() throws {
        let ca = try Fixtures.certificateAuthority()
        let now = UInt64(Date().timeIntervalSince1970)
        let signed = try Fixtures.certificate(validAfter: now - 60).signed(by: ca)
        let parsed = try #require(NIOSSHCertifiedPublicKey(try NIOSSHPublicKey(openSSHPublicKey: signed.openSSHLine(comment: "bob"))))
        let authority = try NIOSSHPublicKey(openSSHPublicKey: SSHEd25519PublicKey(ca.publicKey).authorizedKeysLine(comment: "ca"))
        #expect(parsed.serial == 42 && parsed.type == .user && parsed.keyID == "countersign:0123456789abcdefghjk:bob")
        #expect(parsed.validPrincipals == ["postgres"])
        #expect(parsed.validAfter == now - 60 && parsed.validBefore == now + 840)
        #expect(parsed.criticalOptions == ["force-command": "/usr/bin/countersign record", "source-address": "10.0.0.0/8,192.0.2.7"])
        #expect(parsed.extensions == ["permit-pty": ""])
        #expect(parsed.signatureKey == authority)
        let options = try parsed.validate(
            principal: "postgres", type: .user, allowedAuthoritySigningKeys: [authority], acceptableCriticalOptions: ["force-command", "source-address"]
        )
        #expect(options["force-command"] == "/usr/bin/countersign record")
        #expect(throws: (any Error).self) {
            try parsed.validate(principal: "root", type: .user, allowedAuthoritySigningKeys: [authority], acceptableCriticalOptions: ["force-command", "source-address"])
        }
        let stranger = try NIOSSHPublicKey(openSSHPublicKey: SSHEd25519PublicKey(Curve25519.Signing.PrivateKey().publicKey).authorizedKeysLine(comment: "x"))
        #expect(throws: (any Error).self) {
            try parsed.validate(principal: "postgres", type: .user, allowedAuthoritySigningKeys: [stranger], acceptableCriticalOptions: ["force-command", "source-address"])
        }
    }

    @Test("a certificate with any signed byte changed is refused by both readers")
    func tamperingIsCaught() async throws {
        let ca = try Fixtures.certificateAuthority()
        let now = UInt64(Date().timeIntervalSince1970)
        let signed = try Fixtures.certificate(validAfter: now - 60).signed(by: ca)
        let authority = try NIOSSHPublicKey(openSSHPublicKey: SSHEd25519PublicKey(ca.publicKey).authorizedKeysLine(comment: "ca"))
        // The serial's last byte, inside the signed body: 42 becomes 43.
        var blob = signed.blob
        let serialOffset = 4 + SSHCertificate.algorithm.utf8.count + 4 + 32 + 4 + 32 + 7
        #expect(blob[serialOffset] == 42)
        blob[serialOffset] = 43
        let forged = "\(SSHCertificate.algorithm) \(Data(blob).base64EncodedString()) forged"
        let parsed = try #require(NIOSSHCertifiedPublicKey(try NIOSSHPublicKey(openSSHPublicKey: forged)))
        #expect(parsed.serial == 43)
        #expect(throws: (any Error).self) {
            try parsed.validate(principal: "postgres", type: .user, allowedAuthoritySigningKeys: [authority], acceptableCriticalOptions: ["force-command", "source-address"])
        }
        try await OpenSSHTool.withScratch { tool throws in
            let listing = try await tool.keygen(["-L", "-f", try tool.write("forged-cert.pub", forged)])
            #expect(listing.status != 0, "ssh-keygen must refuse a bad signature: \(listing.output)")
        }
    }

    @Test("the extensions are exactly those asked for, in the spec's order")
    func extensionsAsAsked() throws {
        let ca = try Fixtures.certificateAuthority()
        let all = try Fixtures.certificate(options: [], extensions: Set(Extension.permissions)).signed(by: ca)
        let parsed = try #require(NIOSSHCertifiedPublicKey(try NIOSSHPublicKey(openSSHPublicKey: all.openSSHLine(comment: "x"))))
        #expect(Set(parsed.extensions.keys) == Set(Extension.permissions.map(\.name)))
        #expect(parsed.criticalOptions.isEmpty)
        #expect(all.certificate.extensions.map(\.name) == ["permit-X11-forwarding", "permit-agent-forwarding", "permit-port-forwarding", "permit-pty", "permit-user-rc"])
    }

    @Test("the recording extensions are written as ssh-keygen writes a custom extension with a value, and sshd's tools list them")
    func recordingExtensions() async throws {
        let value = "0123456789abcdefghjk csr_" + String(repeating: "A", count: 43)
        let ours = try Fixtures.certificate(options: [], extensions: [.permitPTY, .recordInput, try .recording(id: "0123456789abcdefghjk", uploadToken: "csr_" + String(repeating: "A", count: 43))])
            .signed(by: try Fixtures.certificateAuthority())
        #expect(ours.certificate.extensions.map(\.name) == ["permit-pty", "record-input@countersign.dev", "recording@countersign.dev"])
        try await OpenSSHTool.withScratch { tool throws in
            func path(_ name: String) -> String { tool.directory.appendingPathComponent(name).path }
            for name in ["ca", "user"] {
                let made = try await tool.keygen(["-q", "-t", "ed25519", "-N", "", "-f", path(name)])
                #expect(made.status == 0, "\(made.output)")
            }
            let theirs = try await tool.keygen([
                "-q", "-s", path("ca"), "-I", "id", "-n", "bob", "-O", "clear", "-O", "permit-pty",
                "-O", "extension:recording@countersign.dev=\(value)", "-O", "extension:record-input@countersign.dev", path("user.pub"),
            ])
            #expect(theirs.status == 0, "\(theirs.output)")
            let reference = try #require(NIOSSHCertifiedPublicKey(try NIOSSHPublicKey(openSSHPublicKey: try tool.read("user-cert.pub").trimmingCharacters(in: .whitespacesAndNewlines))))
            let parsed = try #require(NIOSSHCertifiedPublicKey(try NIOSSHPublicKey(openSSHPublicKey: ours.openSSHLine(comment: "x"))))
            #expect(parsed.extensions == reference.extensions)
            let listing = try await tool.keygen(["-L", "-f", try tool.write("ours-cert.pub", ours.openSSHLine(comment: "x"))])
            #expect(listing.status == 0)
            #expect(listing.output.contains("recording@countersign.dev"))
        }
        #expect(throws: SSHFormatError.self) { try Extension.recording(id: "bad\nid", uploadToken: "x") }
        #expect(throws: SSHFormatError.self) {
            try Fixtures.certificate(extensions: [try .recording(id: "a", uploadToken: "b"), try .recording(id: "c", uploadToken: "d")])
        }
    }

    static let refusals: [(String, @Sendable () throws -> SSHCertificate)] = [
        ("no principal (to sshd: anyone)", { try Fixtures.certificate(principals: []) }),
        ("a principal twice", { try Fixtures.certificate(principals: ["postgres", "postgres"]) }),
        ("a principal with a comma", { try Fixtures.certificate(principals: ["postgres,root"]) }),
        ("a principal with a space", { try Fixtures.certificate(principals: ["post gres"]) }),
        ("a principal with a NUL", { try Fixtures.certificate(principals: ["postgres\u{0}root"]) }),
        ("a principal too long", { try Fixtures.certificate(principals: [String(repeating: "p", count: 65)]) }),
        ("too many principals", { try Fixtures.certificate(principals: (0..<17).map { "user\($0)" }) }),
        ("a key id with a newline", { try Fixtures.certificate(keyID: "countersign:x:bob\nforged: yes") }),
        ("a key id too long", { try Fixtures.certificate(keyID: String(repeating: "k", count: 257)) }),
        ("an empty key id", { try Fixtures.certificate(keyID: "") }),
        ("serial 0", { try Fixtures.certificate(serial: 0) }),
        ("no validity at all", { try Fixtures.certificate(lifetime: 0) }),
        ("validity that never ends", { try Fixtures.certificate(validAfter: 0, lifetime: UInt64.max) }),
        ("an empty force-command", { try Fixtures.certificate(options: [.forceCommand("")]) }),
        ("a force-command with a newline", { try Fixtures.certificate(options: [.forceCommand("/bin/true\n/bin/sh")]) }),
        ("force-command twice", { try Fixtures.certificate(options: [.forceCommand("/bin/true"), .forceCommand("/bin/sh")]) }),
        ("no source address", { try Fixtures.certificate(options: [.sourceAddress([])]) }),
        ("a prefix past 32 bits", { try Fixtures.certificate(options: [.sourceAddress(["10.0.0.0/33"])]) }),
        ("a prefix past 128 bits", { try Fixtures.certificate(options: [.sourceAddress(["::1/129"])]) }),
        ("an empty prefix", { try Fixtures.certificate(options: [.sourceAddress(["10.0.0.0/"])]) }),
        ("a host name", { try Fixtures.certificate(options: [.sourceAddress(["bastion.example.com"])]) }),
        ("an address with a comma smuggled in", { try Fixtures.certificate(options: [.sourceAddress(["10.0.0.1,0.0.0.0/0"])]) }),
    ]

    @Test("a field that would make the certificate mean more, or make sshd refuse it, is refused", arguments: 0..<refusals.count)
    func refusesUnsafeFields(_ index: Int) {
        let (name, make) = Self.refusals[index]
        let error = #expect(throws: SSHFormatError.self, "\(name)") { _ = try make() }
        #expect(error?.code == .invalidField, "\(name)")
    }

    @Test("IPv6 blocks and plain addresses are accepted in source-address")
    func addressForms() throws {
        let certificate = try Fixtures.certificate(options: [.sourceAddress(["2001:db8::/32", "::1", "198.51.100.0/24", "203.0.113.9/32"])])
        #expect(certificate.criticalOptions == [.sourceAddress(["2001:db8::/32", "::1", "198.51.100.0/24", "203.0.113.9/32"])])
    }
}
