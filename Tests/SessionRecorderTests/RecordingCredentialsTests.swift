import Foundation
import Testing
@testable import SessionRecorder

@Suite("The recording a session belongs to, read from the certificate sshd names in SSH_USER_AUTH")
struct RecordingCredentialsTests {
    @Test("the id, the token and record-input come from the certificate's extensions; other methods' lines are passed over")
    func readsTheCertificate() throws {
        let token = RecorderFixtures.token()
        let line = try RecorderFixtures.certificateLine(recording: (RecorderFixtures.recordingID, token))
        let key = line.split(separator: " ").prefix(2).joined(separator: " ")
        let credentials = try RecordingCredentials.fromAuthenticationInfo("keyboard-interactive\npublickey \(key)\n")
        #expect(credentials.recordingID.rawValue == RecorderFixtures.recordingID)
        #expect(credentials.uploadToken.revealed == token)
        #expect(credentials.recordsInput)
        let quiet = try RecordingCredentials.fromAuthenticationInfo("publickey \(try RecorderFixtures.certificateLine(recordsInput: false).split(separator: " ").prefix(2).joined(separator: " "))")
        #expect(!quiet.recordsInput)
    }

    @Test("no certificate, a certificate without a recording, two naming different recordings, or a malformed value: refused")
    func refusals() throws {
        func key(_ line: String) -> String { line.split(separator: " ").prefix(2).joined(separator: " ") }
        let plain = key(try RecorderFixtures.certificateLine(recording: nil))
        let first = key(try RecorderFixtures.certificateLine())
        let second = key(try RecorderFixtures.certificateLine(recording: ("abcdefghjk0123456789", RecorderFixtures.token())))
        let badID = key(try RecorderFixtures.certificateLine(recording: ("../../etc/passwd", RecorderFixtures.token())))
        let badToken = key(try RecorderFixtures.certificateLine(recording: (RecorderFixtures.recordingID, "csr_short")))
        let cases: [(String, String, RecorderError.Code)] = [
            ("an id that is not a recording id (it becomes a file name)", "publickey \(badID)\n", .badCertificate),
            ("a token that is not an upload token (it becomes a header)", "publickey \(badToken)\n", .badCertificate),
            ("nothing", "", .noRecording),
            ("a password login", "password\n", .noRecording),
            ("a plain key", "publickey ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMb1uqWh3BDp7wDmfr8ZzmMsfzGZUl2a3YlUCNyl3+Ae\n", .noRecording),
            ("no recording extension", "publickey \(plain)\n", .noRecording),
            ("two recordings", "publickey \(first)\npublickey \(second)\n", .badCertificate),
            ("not a certificate", "publickey ssh-ed25519-cert-v01@openssh.com AAAA\n", .badCertificate),
        ]
        for (label, text, code) in cases {
            let error = #expect(throws: RecorderError.self, "\(label)") { try RecordingCredentials.fromAuthenticationInfo(text) }
            #expect(error?.code == code, "\(label): \(String(describing: error))")
        }
        #expect((#expect(throws: RecorderError.self) { try RecordingCredentials.fromSSHUserAuth(nil) })?.code == .noRecording)
        #expect((#expect(throws: RecorderError.self) { try RecordingCredentials.fromSSHUserAuth("/nonexistent/auth") })?.code == .noRecording)
    }
}
