#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The saved login: `$XDG_CONFIG_HOME/countersign/credentials` (default ~/.config), mode 0600,
/// written atomically so an interrupted login never leaves half a token behind.
struct Credentials: Codable {
    let server: String
    let username: String
    let token: String

    static var fileURL: URL {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory()).appendingPathComponent(".config")
        return base.appendingPathComponent("countersign").appendingPathComponent("credentials")
    }

    static func load() -> Credentials? {
        guard let data = try? Data(contentsOf: fileURL) else { return nil }
        return try? JSONDecoder().decode(Credentials.self, from: data)
    }

    func save() throws(CLIFailure) {
        let url = Self.fileURL
        let directory = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .input("cannot create \(directory.path)")
        }
        let temporary = directory.appendingPathComponent(".credentials.\(getpid()).tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw .input("cannot write \(temporary.path)") }
        let data = (try? JSONEncoder().encode(self)) ?? Data()
        let written = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == data.count, synced, rename(temporary.path, url.path) == 0 else {
            unlink(temporary.path)
            throw .input("cannot write \(url.path)")
        }
    }

    static func remove() {
        unlink(fileURL.path)
    }
}
