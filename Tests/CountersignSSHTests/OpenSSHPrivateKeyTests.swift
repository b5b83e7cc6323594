import Crypto
import CountersignSSH
import Foundation
import Testing
import TestSupport

@Suite("Private keys in OpenSSH's own file format")
struct OpenSSHPrivateKeyTests {
    @Test("ssh-keygen reads the key back and derives the same public key and comment")
    func sshKeygenReadsIt() async throws {
        for _ in 0..<8 {
            let key = Curve25519.Signing.PrivateKey()
            try await OpenSSHTool.withScratch { tool throws in
                let path = try tool.write("id_ed25519", try OpenSSHPrivateKey.fileText(key, comment: "countersign:request:bob"))
                #expect(chmod(path, 0o600) == 0)
                let derived = try await tool.keygen(["-y", "-f", path])
                #expect(derived.status == 0, "\(derived.output)")
                #expect(derived.output.trimmingCharacters(in: .newlines) == SSHEd25519PublicKey(key.publicKey).authorizedKeysLine(comment: "countersign:request:bob"))
            }
        }
    }

    @Test("a comment that would break the file's one line per field is refused")
    func comments() {
        let key = Curve25519.Signing.PrivateKey()
        #expect(throws: SSHFormatError.self) { try OpenSSHPrivateKey.fileText(key, comment: "bob\n-----END OPENSSH PRIVATE KEY-----") }
        #expect((try? OpenSSHPrivateKey.fileText(key, comment: "")) != nil)
    }
}
