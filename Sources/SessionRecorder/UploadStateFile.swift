import Foundation
import Glibc
import Synchronization

/// `<spool dir>/<certificate's recording id>.<session id>.state`, beside the spool: which recording
/// the gateway gave the session and how far the upload got, so that a later run can resume it
/// (`countersign record --flush`, to come: a start under the same session id is answered the same
/// recording, and its token is derived from the certificate's and the session id) and an
/// administrator can tell a spool that still matters from one the gateway holds in full. Replaced
/// whole (written aside, then renamed), at most once a second while uploading and once at the end.
final class UploadStateFile: Sendable {
    struct Contents: Codable, Equatable {
        /// The recording the certificate carries: the one the start call went to.
        var certificateRecordingId: String
        var session: String
        /// The recording the gateway gave the session: the certificate's for its first session,
        /// one of its own for a later one. Absent until the gateway answered the start.
        var recordingId: String?
        /// The sequence number the gateway expects next.
        var nextSeq: Int
        /// The spool's chunks the gateway has, from the first.
        var storedChunks: Int
        var complete: Bool
        var problem: String?
    }

    static let interval: UInt64 = 1_000_000_000

    let path: String
    private let lastWrite = Mutex<UInt64?>(nil)
    private let clock: any SessionClock

    init(path: String, clock: any SessionClock) {
        self.path = path
        self.clock = clock
    }

    /// Writes `contents` unless the last write is less than a second old (`force` writes anyway).
    func update(_ contents: Contents, force: Bool = false) {
        let now = clock.nanoseconds()
        let due = lastWrite.withLock { last in
            guard force || last.map({ now &- $0 >= Self.interval }) ?? true else { return false }
            last = now
            return true
        }
        guard due else { return }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(contents) else { return }
        let aside = path + ".new"
        unlink(aside)
        let descriptor = open(aside, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { return }
        let bytes = Array(data) + [0x0A]
        let wrote = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        if wrote == bytes.count { rename(aside, path) } else { unlink(aside) }
    }
}
