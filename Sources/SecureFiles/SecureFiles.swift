#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The few POSIX file operations needed to create secrets and copies safely (key files, the
/// database, backups): a file is born with its final mode (never chmod-ed after it had a wider
/// one), appears under its final name only once complete, and a secret is read only from a
/// regular file nobody else may read.
public enum SecureFiles {
    /// Creates `path` empty with `mode`, failing if anything (a file, a symlink) is already there.
    public static func createExclusive(_ path: String, mode: mode_t) throws(SecureFileError) -> Int32 {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            let code = errno
            if code == EEXIST { throw SecureFileError(.alreadyExists, "\(path) already exists") }
            throw failure("cannot create \(path)", code)
        }
        return descriptor
    }

    public static func createEmpty(_ path: String, mode: mode_t) throws(SecureFileError) {
        close(try createExclusive(path, mode: mode))
    }

    /// Writes `bytes` to a new file at `path`, atomically: a temporary file beside it with `mode`,
    /// flushed, then linked to `path`. Fails with `already_exists` rather than replace a file.
    public static func writeNew(_ path: String, bytes: [UInt8], mode: mode_t) throws(SecureFileError) {
        try withFlushedTemporary(beside: path, bytes: bytes, mode: mode) { temporary throws(SecureFileError) in
            try publish(temporary, as: path)
        }
    }

    /// Writes `bytes` to `path` in place of what is there, atomically: a reader (sshd reading
    /// its `RevokedKeys`) sees the old file or the new one, never part of one. A symbolic link
    /// at `path` is replaced, not followed.
    public static func replace(_ path: String, bytes: [UInt8], mode: mode_t) throws(SecureFileError) {
        try withFlushedTemporary(beside: path, bytes: bytes, mode: mode) { temporary throws(SecureFileError) in
            guard rename(temporary, path) == 0 else { throw failure("cannot replace \(path)", errno) }
            syncDirectory(of: path)
        }
    }

    /// A complete, flushed temporary file beside `path` with `mode`, handed to `place` to give it
    /// its name; removed afterwards if `place` left it there.
    private static func withFlushedTemporary(
        beside path: String, bytes: [UInt8], mode: mode_t, _ place: (String) throws(SecureFileError) -> Void
    ) throws(SecureFileError) {
        let temporary = temporaryPath(beside: path)
        let descriptor = try createExclusive(temporary, mode: mode)
        defer { unlink(temporary) }
        do {
            defer { close(descriptor) }
            try writeAll(descriptor, bytes, path: temporary)
            // The mode asked for must hold whatever the umask is: a public key must be readable.
            guard fchmod(descriptor, mode) == 0, fsync(descriptor) == 0 else {
                throw failure("cannot flush \(temporary)", errno)
            }
        }
        try place(temporary)
    }

    /// Gives a complete temporary file its final name without ever replacing an existing file
    /// (link(2) fails if the name is taken, where rename(2) would silently overwrite).
    public static func publish(_ temporary: String, as path: String) throws(SecureFileError) {
        guard link(temporary, path) == 0 else {
            let code = errno
            if code == EEXIST { throw SecureFileError(.alreadyExists, "\(path) already exists") }
            throw failure("cannot create \(path)", code)
        }
        unlink(temporary)
        syncDirectory(of: path)
    }

    public static func temporaryPath(beside path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let name = ".\(url.lastPathComponent).\(UUID().uuidString.lowercased()).tmp"
        return url.deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// Creates `path` (and missing parents) with `mode` if it does not exist.
    public static func createDirectory(_ path: String, mode: Int) throws(SecureFileError) {
        guard !FileManager.default.fileExists(atPath: path) else { return }
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: mode]
            )
        } catch {
            throw SecureFileError(.failure, "cannot create directory \(path)")
        }
    }

    public static func exists(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }

    /// Makes a new directory entry durable: without it a power loss can forget a fsynced file.
    public static func syncDirectory(of path: String) {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], path: String) throws(SecureFileError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw failure("cannot write \(path)", errno)
            }
            offset += written
        }
    }

    /// The contents of a secret file: a regular file (not a link), readable and writable by its
    /// owner only, of at most `maximumSize` bytes. A secret others could read may already be in
    /// other hands, so a wider mode is refused rather than tightened.
    public static func readSecret(_ path: String, maximumSize: Int) throws(SecureFileError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT { throw SecureFileError(.notFound, "no file at \(path)") }
            // O_NOFOLLOW answers ELOOP for a link: whoever controls its target controls the secret.
            if code == ELOOP { throw SecureFileError(.notRegular, "\(path) is a symbolic link") }
            throw failure("cannot open \(path)", code)
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw failure("cannot inspect \(path)", errno) }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw SecureFileError(.notRegular, "\(path) is not a regular file")
        }
        guard status.st_mode & 0o077 == 0 else {
            throw SecureFileError(.insecureMode, "\(path) is readable or writable by group or others (mode \(String(status.st_mode & 0o777, radix: 8))); it must be 0600")
        }
        guard status.st_size <= maximumSize else {
            throw SecureFileError(.tooLarge, "\(path) is larger than \(maximumSize) bytes")
        }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw failure("cannot read \(path)", errno) }
            offset += count
        }
        return bytes
    }

    static func failure(_ what: String, _ code: Int32) -> SecureFileError {
        SecureFileError(.failure, "\(what): \(String(cString: strerror(code)))")
    }
}
