import Crypto
import CountersignSSH
import Foundation
import Testing
import TestSupport

@Suite("OpenSSH certificates read back: the gateway's own and the real ssh-keygen's")
struct SSHCertificateParserTests {
    typealias Fixtures = CertificateFixtures
    static let token = "csr_" + String(repeating: "A", count: 43)

    @Test("every field the gateway encodes reads back as it was, extensions with their data")
    func readsOwnCertificate() throws {
        let ca = try Fixtures.certificateAuthority()
        let certificate = try Fixtures.certificate(
            principals: ["postgres", "deploy"],
            extensions: [.permitPTY, .recordInput, try .recording(id: "0123456789abcdefghjk", uploadToken: Self.token)]
        )
        let signed = try certificate.signed(by: ca)
        let parsed = try ParsedSSHCertificate(openSSHLine: signed.openSSHLine(comment: "bob@countersign"))
        #expect(parsed == (try ParsedSSHCertificate(blob: signed.blob)))
        #expect(parsed.nonce == certificate.nonce && parsed.subjectKey == certificate.subjectKey)
        #expect(parsed.serial == 42 && parsed.kind == .user && parsed.keyID == "countersign:0123456789abcdefghjk:bob")
        #expect(parsed.principals == ["postgres", "deploy"])
        #expect(parsed.validAfter == Fixtures.validAfter && parsed.validBefore == Fixtures.validAfter + 900)
        #expect(parsed.criticalOptions.map(\.name) == ["force-command", "source-address"])
        #expect(try parsed.criticalOption("force-command")?.text() == "/usr/bin/countersign record")
        #expect(try parsed.criticalOption("source-address")?.text() == "10.0.0.0/8,192.0.2.7")
        #expect(parsed.extensions.map(\.name) == ["permit-pty", "record-input@countersign.dev", "recording@countersign.dev"])
        #expect(try parsed.extension("permit-pty")?.text() == nil, "a flag has empty data")
        #expect(try parsed.extension("recording@countersign.dev")?.text() == "0123456789abcdefghjk \(Self.token)")
        #expect(parsed.extension("permit-X11-forwarding") == nil)
        #expect(parsed.signatureKey == SSHEd25519PublicKey(ca.publicKey).blob)
        #expect(parsed.signature.count == 4 + 11 + 4 + 64, "string ssh-ed25519, string of 64 signature bytes")
    }

    @Test("a certificate made by ssh-keygen -s with custom extensions reads back field by field, the value as ssh-keygen encodes it")
    func readsSSHKeygenCertificate() async throws {
        let value = "0123456789abcdefghjk \(Self.token)"
        try await OpenSSHTool.withScratch { tool throws in
            func path(_ name: String) -> String { tool.directory.appendingPathComponent(name).path }
            for name in ["ca", "user"] {
                let made = try await tool.keygen(["-q", "-t", "ed25519", "-N", "", "-f", path(name)])
                #expect(made.status == 0, "\(made.output)")
            }
            let signed = try await tool.keygen([
                "-q", "-s", path("ca"), "-I", "alice@example", "-n", "alice,deploy", "-z", "7001", "-V", "+1h",
                "-O", "force-command=countersign record --spool-dir /var/spool/countersign",
                "-O", "extension:recording@countersign.dev=\(value)", "-O", "extension:record-input@countersign.dev", path("user.pub"),
            ])
            #expect(signed.status == 0, "\(signed.output)")
            let line = try tool.read("user-cert.pub").trimmingCharacters(in: .whitespacesAndNewlines)
            let parsed = try ParsedSSHCertificate(openSSHLine: line)
            #expect(parsed.keyID == "alice@example" && parsed.serial == 7001 && parsed.kind == .user)
            #expect(parsed.principals == ["alice", "deploy"])
            let now = UInt64(Date().timeIntervalSince1970)
            #expect(parsed.validAfter <= now && parsed.validBefore > now + 3000 && parsed.validBefore <= now + 3700)
            #expect(try parsed.criticalOption("force-command")?.text() == "countersign record --spool-dir /var/spool/countersign")
            // ssh-keygen -O clear was not given: its default permit-* flags come first, in order.
            #expect(parsed.extensions.map(\.name) == [
                "permit-X11-forwarding", "permit-agent-forwarding", "permit-port-forwarding", "permit-pty", "permit-user-rc",
                "record-input@countersign.dev", "recording@countersign.dev",
            ])
            let recording = try #require(parsed.extension("recording@countersign.dev"))
            #expect(recording.data == [0, 0, 0, UInt8(value.utf8.count)] + Array(value.utf8), "an SSH string holding the value")
            #expect(try recording.text() == value)
            let caLine = try tool.read("ca.pub").split(separator: " ")
            #expect(Data(parsed.signatureKey).base64EncodedString() == String(caLine[1]))
        }
    }

    static let refusals: [(String, SSHFormatError.Code, @Sendable ([UInt8]) -> [UInt8])] = [
        ("cut short", .truncated, { Array($0.dropLast(10)) }),
        ("a byte after the signature", .malformed, { $0 + [0] }),
        ("another key type", .malformed, { blob in
            var changed = blob
            changed[4] = UInt8(ascii: "x") // "ssh-ed25519-cert…" becomes "xsh-…"
            return changed
        }),
        ("a length past the end", .truncated, { blob in
            var changed = blob
            changed[4 + 32] = 0x7F // the high byte of the nonce's length
            return changed
        }),
    ]

    @Test("a blob that is cut short, longer, of another type or lies about a length is refused with its code", arguments: 0..<refusals.count)
    func refusesBrokenBlobs(_ index: Int) throws {
        let (name, code, change) = Self.refusals[index]
        let blob = try Fixtures.certificate().signed(by: try Fixtures.certificateAuthority()).blob
        let error = #expect(throws: SSHFormatError.self, "\(name)") { try ParsedSSHCertificate(blob: change(blob)) }
        #expect(error?.code == code || error?.code == .tooLong, "\(name): \(String(describing: error))")
    }

    /// A certificate blob written field by field, signature included (never checked by the
    /// reader), with whatever extensions a test wants, right or wrong.
    static func blob(kind: UInt32 = 1, extensions: [(String, [UInt8])]) -> [UInt8] {
        func uint32(_ value: UInt32) -> [UInt8] { (0..<4).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) } }
        func string(_ bytes: [UInt8]) -> [UInt8] { uint32(UInt32(bytes.count)) + bytes }
        func string(_ text: String) -> [UInt8] { string(Array(text.utf8)) }
        let key = Array(Fixtures.subject.publicKey.rawRepresentation)
        var bytes = string(SSHCertificate.algorithm) + string([UInt8](repeating: 7, count: 32)) + string(key)
        bytes += [0, 0, 0, 0, 0, 0, 0, 1] + uint32(kind) + string("id") + string(string("bob"))
        bytes += [0, 0, 0, 0, 0, 0, 0, 1] + [0, 0, 0, 0, 0, 0, 0, 2] + string([])
        bytes += string(extensions.flatMap { string($0.0) + string($0.1) }) + string([])
        bytes += string(string("ssh-ed25519") + string(key)) + string(string("ssh-ed25519") + string([UInt8](repeating: 0, count: 64)))
        return bytes
    }

    @Test("extensions out of order or named twice, and a certificate type other than user or host, are refused; data must be one string")
    func refusesWhatTheSpecForbids() throws {
        let fine = try ParsedSSHCertificate(blob: Self.blob(extensions: [("permit-pty", []), ("permit-user-rc", [])]))
        #expect(fine.extensions.map(\.name) == ["permit-pty", "permit-user-rc"] && fine.principals == ["bob"])
        for (label, extensions) in [
            ("out of order", [("permit-user-rc", [UInt8]()), ("permit-pty", [])]),
            ("named twice", [("permit-pty", []), ("permit-pty", [])]),
            ("a name that is not printable", [("permit\npty", [])]),
        ] {
            let error = #expect(throws: SSHFormatError.self, "\(label)") { try ParsedSSHCertificate(blob: Self.blob(extensions: extensions)) }
            #expect(error?.code == .invalidField, "\(label)")
        }
        let kind = #expect(throws: SSHFormatError.self) { try ParsedSSHCertificate(blob: Self.blob(kind: 3, extensions: [])) }
        #expect(kind?.code == .invalidField)
        #expect(try ParsedSSHCertificate(blob: Self.blob(kind: 2, extensions: [])).kind == .host)

        let field = ParsedSSHCertificate.Field(name: "x@example.com", data: [0, 0, 0, 1, 0x41, 0x42])
        #expect(throws: SSHFormatError.self) { try field.text() }
        #expect(throws: SSHFormatError.self) { try ParsedSSHCertificate(openSSHLine: "ssh-ed25519 AAAA") }
        #expect(throws: SSHFormatError.self) { try ParsedSSHCertificate(openSSHLine: "\(SSHCertificate.algorithm) not-base64!") }
        let huge = [UInt8](repeating: 0, count: ParsedSSHCertificate.maximumBlobLength + 1)
        #expect((#expect(throws: SSHFormatError.self) { try ParsedSSHCertificate(blob: huge) })?.code == .tooLong)
    }
}
