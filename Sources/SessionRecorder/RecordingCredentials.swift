import CountersignCore
import CountersignSSH
import Foundation

/// The recording a session belongs to and the token that may append to it, from the
/// certificate the user logged in with: sshd (`ExposeAuthInfo yes`) names in `SSH_USER_AUTH` a
/// file whose lines are `publickey ssh-ed25519-cert-v01@openssh.com BASE64`, and the gateway put
/// the extension `recording@countersign.dev` = `<id> <token>` into every certificate of a
/// recorded request. The user cannot make sshd accept a certificate the CA did not sign, so these
/// cannot be forged for another recording.
public struct RecordingCredentials: Sendable {
    public let recordingID: RecordingID
    public let uploadToken: RecordingUploadToken
    /// `record-input@countersign.dev`: what the user types is recorded too.
    public let recordsInput: Bool

    /// More than sshd writes for any chain of methods; a longer file is not sshd's.
    static let maximumFileLength = 64 * 1024

    public init(recordingID: RecordingID, uploadToken: RecordingUploadToken, recordsInput: Bool) {
        self.recordingID = recordingID
        self.uploadToken = uploadToken
        self.recordsInput = recordsInput
    }

    /// Reads the file sshd named in `SSH_USER_AUTH` (`path`, nil when the variable is unset).
    public static func fromSSHUserAuth(_ path: String?) throws(RecorderError) -> RecordingCredentials {
        guard let path, !path.isEmpty else {
            throw RecorderError(.noRecording, "SSH_USER_AUTH is not set: sshd must run this recorder with ExposeAuthInfo yes")
        }
        guard let handle = FileHandle(forReadingAtPath: path),
              let data = try? handle.read(upToCount: maximumFileLength + 1)
        else {
            throw RecorderError(.noRecording, "cannot read \(path), the file SSH_USER_AUTH names")
        }
        try? handle.close()
        guard data.count <= maximumFileLength else { throw RecorderError(.badCertificate, "\(path) is longer than sshd writes") }
        return try fromAuthenticationInfo(String(decoding: data, as: UTF8.self))
    }

    /// The credentials in the text of sshd's authentication file. Every certificate in it that
    /// carries a recording must name the same one: two would leave it unclear where the session
    /// belongs, and the recorder then refuses rather than choose.
    public static func fromAuthenticationInfo(_ text: String) throws(RecorderError) -> RecordingCredentials {
        var found: RecordingCredentials?
        for line in text.split(whereSeparator: \.isNewline) {
            let words = line.split(separator: " ", maxSplits: 1)
            guard words.count == 2, words[0] == "publickey", words[1].hasPrefix(SSHCertificate.algorithm + " ") else { continue }
            let certificate: ParsedSSHCertificate
            do {
                certificate = try ParsedSSHCertificate(openSSHLine: words[1])
            } catch {
                throw RecorderError(.badCertificate, "the certificate in SSH_USER_AUTH cannot be read: \(error.message)")
            }
            guard let credentials = try credentials(in: certificate) else { continue }
            if let found, found.recordingID != credentials.recordingID {
                throw RecorderError(.badCertificate, "two certificates name different recordings")
            }
            found = credentials
        }
        guard let found else {
            throw RecorderError(
                .noRecording, "the certificate of this login carries no \(Extension.recordingName) extension: there is no recording to write to"
            )
        }
        return found
    }

    /// The recording named by one certificate, or nil when it names none.
    public static func credentials(in certificate: ParsedSSHCertificate) throws(RecorderError) -> RecordingCredentials? {
        guard let field = certificate.extension(Extension.recordingName) else { return nil }
        let value: String?
        do { value = try field.text() } catch { throw RecorderError(.badCertificate, "the recording extension: \(error.message)") }
        let words = (value ?? "").split(separator: " ", omittingEmptySubsequences: false)
        guard words.count == 2 else {
            throw RecorderError(.badCertificate, "the recording extension is not '<recording id> <upload token>'")
        }
        // Checked here because the id becomes a file name and a URL path, the token a header.
        guard let id = try? RecordingID(String(words[0])) else {
            throw RecorderError(.badCertificate, "the recording extension's id is not a recording id")
        }
        guard let token = RecordingUploadToken(String(words[1])) else {
            throw RecorderError(.badCertificate, "the recording extension's token is not an upload token")
        }
        return RecordingCredentials(recordingID: id, uploadToken: token, recordsInput: certificate.extension(Extension.recordInput.name) != nil)
    }
}
