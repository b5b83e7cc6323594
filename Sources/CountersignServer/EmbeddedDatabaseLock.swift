#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The one gateway on an embedded SQLite file: an exclusive lock on `<file>.lock`, held for as
/// long as the gateway lives and released by the kernel when its process dies, however it dies.
///
/// Holding it is what lets a starting gateway take back the notification claims and audit stream
/// leases in the file: whoever held them is gone, so a page a killed gateway had claimed goes out
/// at once instead of after its lease. Several gateways share PostgreSQL instead, where a claim
/// lapses at the end of its lease.
final class EmbeddedDatabaseLock: Sendable {
    private let descriptor: Int32

    /// Takes the lock, or says which process holds it.
    init(database: String) throws(GatewayBuildError) {
        let path = database + ".lock"
        // Close-on-exec: a child the gateway starts must not keep the lock after the gateway's death.
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw .database("cannot open the lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno == EWOULDBLOCK
                ? "another countersignd\(Self.holder(descriptor).map { " (pid \($0))" } ?? "") is running on \(database); "
                    + "an embedded database serves one gateway (several gateways share PostgreSQL: --database)"
                : "cannot lock \(path): \(String(cString: strerror(errno)))"
            close(descriptor)
            throw .database(reason)
        }
        self.descriptor = descriptor
        let pid = Array("\(getpid())\n".utf8)
        // The pid is a courtesy for the operator reading the refusal; the lock is what counts.
        if ftruncate(descriptor, 0) == 0 { _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) } }
    }

    deinit {
        close(descriptor)
    }

    /// The pid the holder wrote, if it is one.
    private static func holder(_ descriptor: Int32) -> Int32? {
        var bytes = [UInt8](repeating: 0, count: 16)
        let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int32(String(decoding: bytes.prefix(count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)).flatMap { $0 > 0 ? $0 : nil }
    }
}
