import Crypto
import CountersignCore
import CountersignSSH
import Foundation
import Keyring
import Synchronization
@testable import SessionRecorder

/// Certificates, spools and a clock for the recorder's tests.
enum RecorderFixtures {
    static let recordingID = "0123456789abcdefghjk"
    static let recording = try! RecordingID(recordingID)

    static func token() -> String { RecordingUploadToken.generate().revealed }

    /// A certificate of this project's CA carrying a recording (and record-input when asked), as
    /// one OpenSSH line.
    static func certificateLine(recording: (id: String, token: String)? = (recordingID, token()), recordsInput: Bool = true) throws -> String {
        var extensions: Set<Extension> = [.permitPTY]
        if let recording { extensions.insert(try .recording(id: recording.id, uploadToken: recording.token)) }
        if recordsInput { extensions.insert(.recordInput) }
        let now = UInt64(Date().timeIntervalSince1970)
        let certificate = try SSHCertificate(
            nonce: SSHCertificate.randomNonce(), subjectKey: SSHEd25519PublicKey(Curve25519.Signing.PrivateKey().publicKey), serial: 9,
            kind: .user, keyID: "countersign:\(recordingID):bob", principals: ["deploy"], validAfter: now - 60, validBefore: now + 600,
            criticalOptions: [.forceCommand("countersign record")], extensions: extensions
        )
        let ca = try EphemeralKeyring().signingKey(for: KeyPurpose(rawValue: "ssh-user-ca"))
        return try certificate.signed(by: ca).openSSHLine(comment: "bob")
    }

    /// A scratch directory, removed by the caller.
    static func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("countersign-recorder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// sshd's ExposeAuthInfo file for a login with `certificateLine`.
    static func authFile(in directory: URL, _ certificateLine: String) throws -> String {
        let path = directory.appendingPathComponent("sshauth").path
        try Data("publickey \(certificateLine.split(separator: " ").prefix(2).joined(separator: " "))\n".utf8).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// A clock the test moves by hand.
final class ManualSessionClock: SessionClock {
    private let now = Mutex<UInt64>(1_000_000_000)

    func nanoseconds() -> UInt64 { now.withLock { $0 } }

    func advance(milliseconds: UInt64) {
        now.withLock { $0 += milliseconds * 1_000_000 }
    }
}
