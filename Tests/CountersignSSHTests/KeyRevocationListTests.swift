import Crypto
import CountersignSSH
import Foundation
import Keyring
import Testing
import TestSupport

@Suite("Key revocation lists, checked by ssh-keygen -Q")
struct KeyRevocationListTests {
    typealias Fixtures = CertificateFixtures

    /// What `ssh-keygen -Q` says of each serial's certificate under `krl`: revoked or not.
    private func revokedSerials(_ krl: KeyRevocationList, among serials: ClosedRange<UInt64>, signedBy ca: any SigningKey, tool: OpenSSHTool) async throws -> Set<UInt64> {
        let krlPath = try tool.write("revoked.krl", krl.bytes)
        var revoked: Set<UInt64> = []
        for serial in serials {
            let certificate = try Fixtures.certificate(serial: serial).signed(by: ca)
            let path = try tool.write("cert-\(serial).pub", certificate.openSSHLine(comment: "serial-\(serial)"))
            let check = try await tool.keygen(["-Q", "-f", krlPath, path])
            if check.output.contains("REVOKED") {
                #expect(check.status != 0)
                revoked.insert(serial)
            } else {
                #expect(check.status == 0 && check.output.contains("ok"), "\(check.output)")
            }
        }
        return revoked
    }

    @Test("exactly the listed serials are revoked, singles and runs alike")
    func serials() async throws {
        let ca = try Fixtures.certificateAuthority()
        let listed: Set<UInt64> = [1, 2, 3, 5, 9, 10]
        let krl = try KeyRevocationList(version: 7, generatedAt: 1_796_119_200, comment: "countersign", revoked: [SSHEd25519PublicKey(ca.publicKey): listed])
        try await OpenSSHTool.withScratch { tool throws in
            #expect(try await revokedSerials(krl, among: 1...12, signedBy: ca, tool: tool) == listed)
        }
    }

    @Test("a CA key listed outright revokes every certificate it signed, and none another CA signed")
    func distrustedAuthority() async throws {
        let compromised = try Fixtures.certificateAuthority()
        let other = try Fixtures.certificateAuthority()
        let krl = try KeyRevocationList(
            version: 8, generatedAt: 1_796_119_200, comment: "countersign", revoked: [:], revokedKeys: [SSHEd25519PublicKey(compromised.publicKey)]
        )
        try await OpenSSHTool.withScratch { tool throws in
            #expect(try await revokedSerials(krl, among: 1...3, signedBy: compromised, tool: tool) == [1, 2, 3])
            #expect(try await revokedSerials(krl, among: 1...3, signedBy: other, tool: tool).isEmpty)
        }
    }

    @Test("a serial is revoked for its own CA only; a list with nothing revoked revokes nothing")
    func perCertificateAuthority() async throws {
        let current = try Fixtures.certificateAuthority()
        let next = try Fixtures.certificateAuthority()
        let krl = try KeyRevocationList(
            version: 1, generatedAt: 1_796_119_200, comment: "",
            revoked: [SSHEd25519PublicKey(current.publicKey): [4], SSHEd25519PublicKey(next.publicKey): [6]]
        )
        let empty = try KeyRevocationList(version: 1, generatedAt: 1_796_119_200, comment: "", revoked: [:])
        try await OpenSSHTool.withScratch { tool throws in
            #expect(try await revokedSerials(krl, among: 3...7, signedBy: current, tool: tool) == [4])
            #expect(try await revokedSerials(krl, among: 3...7, signedBy: next, tool: tool) == [6])
            #expect(try await revokedSerials(empty, among: 3...4, signedBy: current, tool: tool).isEmpty)
        }
    }

    @Test("ssh-keygen lists what the file holds: version, comment and serials")
    func listing() async throws {
        let ca = try Fixtures.certificateAuthority()
        let krl = try KeyRevocationList(version: 42, generatedAt: 1_796_119_200, comment: "countersign", revoked: [SSHEd25519PublicKey(ca.publicKey): [8, 11, 12, 13]])
        try await OpenSSHTool.withScratch { tool throws in
            let listing = try await tool.keygen(["-Q", "-l", "-f", try tool.write("revoked.krl", krl.bytes)])
            #expect(listing.status == 0, "\(listing.output)")
            #expect(listing.output.contains("# KRL version 42"), "\(listing.output)")
            #expect(listing.output.contains("# Comment: countersign"), "\(listing.output)")
            #expect(listing.output.contains("serial: 8"), "\(listing.output)")
            #expect(listing.output.contains("serial: 11-13"), "\(listing.output)")
        }
    }

    @Test("runs of consecutive serials are found in any order, up to the largest serial")
    func runs() throws {
        let ca = SSHEd25519PublicKey(try Fixtures.certificateAuthority().publicKey)
        let a = try KeyRevocationList(version: 1, generatedAt: 0, comment: "", revoked: [ca: [10, 3, 1, 2, 9, UInt64.max]])
        let b = try KeyRevocationList(version: 1, generatedAt: 0, comment: "", revoked: [ca: [UInt64.max, 9, 2, 10, 1, 3]])
        #expect(a.bytes == b.bytes, "the same list makes the same bytes")
        #expect(throws: SSHFormatError.self) { try KeyRevocationList(version: 1, generatedAt: 0, comment: "", revoked: [ca: [0]]) }
        #expect(throws: SSHFormatError.self) { try KeyRevocationList(version: 1, generatedAt: 0, comment: "two\nlines", revoked: [:]) }
    }
}
