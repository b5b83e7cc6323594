import Glibc
import Synchronization

/// The recording on the host's disk, `<spool dir>/<certificate's recording id>.<session id>.cast`
/// (one file per session, however many the certificate opens): every line is written
/// here before it is uploaded, so that a gateway outage loses nothing, and what no longer fits in
/// memory is read back from here.
///
/// Written with explicit offsets (pwrite, no O_APPEND): the layout is the recorder's own, so a
/// user who truncates or edits the file makes holes or other bytes at known offsets, which the
/// digests kept in memory then catch, instead of shifting everything after.
public final class SpoolFile: Sendable {
    public let path: String
    let descriptor: Int32
    private let written = Atomic<Int64>(0)
    private let synced = Atomic<Int64>(0)
    private let failed = Atomic<Bool>(false)

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    /// Makes `directory` (0700, with any missing parents) and the new file in it, 0600. An existing
    /// file is refused, never reused: a spool is one session's, and a leftover one (a recorder
    /// killed before it could upload) is evidence to keep.
    public static func create(directory: String, name: String) throws(RecorderError) -> SpoolFile {
        try makeDirectory(directory)
        let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        // O_EXCL also refuses a symbolic link planted under that name in a shared spool directory.
        let descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            let reason = errno == EEXIST ? "it already exists, and another session's spool is never reused" : String(cString: strerror(errno))
            throw RecorderError(.spoolUnavailable, "cannot create the spool file \(path): \(reason)")
        }
        // The umask may only take bits away; the mode is exactly 0600 whatever it was.
        fchmod(descriptor, 0o600)
        return SpoolFile(path: path, descriptor: descriptor)
    }

    private static func makeDirectory(_ directory: String) throws(RecorderError) {
        var prefix = directory.hasPrefix("/") ? "/" : ""
        for component in directory.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o700) != 0, errno != EEXIST {
                throw RecorderError(.spoolUnavailable, "cannot create the spool directory \(prefix): \(String(cString: strerror(errno)))")
            }
            prefix += "/"
        }
        var status = stat()
        guard stat(directory, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
            throw RecorderError(.spoolUnavailable, "the spool directory \(directory) is not a directory")
        }
    }

    /// Whether a write has failed: from then on nothing more is written (a file with a hole in
    /// the middle would be worse than one that stops).
    public var hasFailed: Bool { failed.load(ordering: .relaxed) }

    /// Writes `bytes` at `offset`; the error number when they could not all be written.
    @discardableResult
    public func write(_ bytes: [UInt8], at offset: Int64) -> Int32? {
        guard !hasFailed else { return EIO }
        var done = 0
        while done < bytes.count {
            let wrote = bytes.withUnsafeBytes { buffer in
                pwrite(descriptor, buffer.baseAddress.map { $0 + done }, buffer.count - done, off_t(offset) + off_t(done))
            }
            if wrote < 0, errno == EINTR { continue }
            guard wrote > 0 else {
                let error = wrote < 0 ? errno : ENOSPC
                failed.store(true, ordering: .relaxed)
                return error
            }
            done += wrote
        }
        written.store(offset + Int64(bytes.count), ordering: .releasing)
        return nil
    }

    /// Reads back `length` bytes at `offset`; nil when fewer are there (the file was truncated)
    /// or the read fails.
    public func read(at offset: Int64, length: Int) -> [UInt8]? {
        guard length > 0 else { return [] }
        let bytes = [UInt8](unsafeUninitializedCapacity: length) { buffer, count in
            var done = 0
            while done < length {
                let got = pread(descriptor, buffer.baseAddress.map { $0 + done }, length - done, off_t(offset) + off_t(done))
                if got < 0, errno == EINTR { continue }
                guard got > 0 else { break }
                done += got
            }
            count = done
        }
        return bytes.count == length ? bytes : nil
    }

    /// fsync(2) when something was written since the last one: false when it fails (which makes
    /// the spool failed too: the disk no longer keeps what it is given).
    @discardableResult
    public func sync() -> Bool {
        let end = written.load(ordering: .acquiring)
        guard end > synced.load(ordering: .relaxed), !hasFailed else { return !hasFailed }
        guard fsync(descriptor) == 0 else {
            failed.store(true, ordering: .relaxed)
            return false
        }
        synced.store(end, ordering: .relaxed)
        return true
    }

    public func close() {
        Glibc.close(descriptor)
    }
}
