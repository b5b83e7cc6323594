#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The few POSIX file operations the store needs to create secrets and copies safely: a file is
/// born with its final mode (never chmod-ed after it had a wider one) and appears under its final
/// name only once complete.
enum SecureFiles {
    /// Creates `path` empty with `mode`, failing if anything (a file, a symlink) is already there.
    static func createExclusive(_ path: String, mode: mode_t) throws(StoreError) -> Int32 {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            let code = errno
            if code == EEXIST { throw StoreError(.alreadyExists, "\(path) already exists") }
            throw failure("cannot create \(path)", code)
        }
        return descriptor
    }

    static func createEmpty(_ path: String, mode: mode_t) throws(StoreError) {
        close(try createExclusive(path, mode: mode))
    }

    /// Writes `bytes` to a new file at `path`, atomically: a temporary file beside it with `mode`,
    /// flushed, then linked to `path`. Fails with `already_exists` rather than replace a file.
    static func writeNew(_ path: String, bytes: [UInt8], mode: mode_t) throws(StoreError) {
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
        try publish(temporary, as: path)
    }

    /// Gives a complete temporary file its final name without ever replacing an existing file
    /// (link(2) fails if the name is taken, where rename(2) would silently overwrite).
    static func publish(_ temporary: String, as path: String) throws(StoreError) {
        guard link(temporary, path) == 0 else {
            let code = errno
            if code == EEXIST { throw StoreError(.alreadyExists, "\(path) already exists") }
            throw failure("cannot create \(path)", code)
        }
        unlink(temporary)
        syncDirectory(of: path)
    }

    static func temporaryPath(beside path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let name = ".\(url.lastPathComponent).\(UUID().uuidString.lowercased()).tmp"
        return url.deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// Creates `path` (and missing parents) with `mode` if it does not exist.
    static func createDirectory(_ path: String, mode: Int) throws(StoreError) {
        guard !FileManager.default.fileExists(atPath: path) else { return }
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: mode]
            )
        } catch {
            throw StoreError(.storageFailure, "cannot create directory \(path)")
        }
    }

    static func exists(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }

    /// Makes a new directory entry durable: without it a power loss can forget a fsynced file.
    static func syncDirectory(of path: String) {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], path: String) throws(StoreError) {
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

    static func failure(_ what: String, _ code: Int32) -> StoreError {
        StoreError(.storageFailure, "\(what): \(String(cString: strerror(code)))")
    }
}
