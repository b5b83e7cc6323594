import Crypto
import CountersignSSH
import Foundation
import Testing
import TestSupport

@Suite("Ed25519 public keys in authorized_keys form, as clients send them")
struct SSHPublicKeyTests {
    @Test("a key made by ssh-keygen reads back with the fingerprint ssh-keygen gives it")
    func readsARealKey() async throws {
        try await OpenSSHTool.withScratch { tool throws in
            let made = try await tool.keygen(["-q", "-t", "ed25519", "-N", "", "-C", "bob@laptop", "-f", tool.directory.appendingPathComponent("id").path])
            #expect(made.status == 0, "\(made.output)")
            let line = try tool.read("id.pub").trimmingCharacters(in: .newlines)
            let key = try SSHEd25519PublicKey(authorizedKeysLine: line)
            let listed = try await tool.keygen(["-l", "-f", tool.directory.appendingPathComponent("id.pub").path])
            #expect(listed.output.contains(key.fingerprint), "\(listed.output)")
            #expect(key.authorizedKeysLine(comment: "bob@laptop") == line, "written back byte for byte")
            #expect(try SSHEd25519PublicKey(blob: key.blob) == key)
        }
    }

    static func line(_ blob: [UInt8], type: String = "ssh-ed25519") -> String {
        "\(type) \(Data(blob).base64EncodedString()) bob"
    }

    static func blob(type: String = "ssh-ed25519", key: [UInt8] = [UInt8](repeating: 7, count: 32), trailing: [UInt8] = []) -> [UInt8] {
        func string(_ bytes: [UInt8]) -> [UInt8] { [0, 0, UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes }
        return string(Array(type.utf8)) + string(key) + trailing
    }

    static let refused: [(String, String, SSHFormatError.Code)] = [
        ("an RSA key", line(blob(type: "ssh-rsa"), type: "ssh-rsa"), .malformed),
        ("an Ed25519 type naming another key inside", line(blob(type: "ssh-rsa")), .malformed),
        ("a key of 31 bytes", line(blob(key: [UInt8](repeating: 7, count: 31))), .malformed),
        ("a key of 33 bytes", line(blob(key: [UInt8](repeating: 7, count: 33))), .tooLong),
        ("bytes after the key", line(blob(trailing: [0])), .malformed),
        ("a length past the end", line(Array(blob().dropLast(1))), .truncated),
        ("base64 that is not", "ssh-ed25519 AAAA!!!! bob", .malformed),
        ("base64 with a stray pad", "ssh-ed25519 \(Data(blob()).base64EncodedString())= bob", .malformed),
        ("base64 with its pad dropped", "ssh-ed25519 \(Data(blob(trailing: [0])).base64EncodedString().replacingOccurrences(of: "=", with: "")) bob", .malformed),
        ("options before the type", "command=\"/bin/sh\" " + line(blob()), .malformed),
        ("only the type", "ssh-ed25519", .malformed),
        ("an empty line", "", .malformed),
        ("two lines", line(blob()) + "\nssh-ed25519 AAAA", .malformed),
        ("a NUL inside", line(blob()) + "\u{0}", .malformed),
        ("a line past the bound", line(blob()) + String(repeating: "x", count: 4096), .tooLong),
    ]

    @Test("anything but one Ed25519 key in its one canonical text is refused with a typed error", arguments: 0..<refused.count)
    func refusals(_ index: Int) {
        let (name, text, code) = Self.refused[index]
        let error = #expect(throws: SSHFormatError.self, "\(name)") { _ = try SSHEd25519PublicKey(authorizedKeysLine: text) }
        #expect(error?.code == code, "\(name): \(error.map(String.init(describing:)) ?? "accepted")")
    }
}
