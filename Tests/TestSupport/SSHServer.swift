import Foundation
import Glibc

/// A real OpenSSH server on 127.0.0.1 for one test, as a host that trusts the gateway would be
/// set up: it trusts one user CA (`TrustedUserCAKeys`), checks one revocation list on every login
/// (`RevokedKeys`), and accepts certificates only: no passwords, no `authorized_keys`.
public final class SSHServer: Sendable {
    public let port: Int
    public let tool: OpenSSHTool
    private let process: ChildProcess

    /// The login the server lets a certificate in as: the user the tests run as, the one account
    /// a test can count on.
    public static var localUser: String {
        guard let entry = getpwuid(getuid()), let name = entry.pointee.pw_name else { return "root" }
        return String(cString: name)
    }

    private init(port: Int, tool: OpenSSHTool, process: ChildProcess) {
        self.port = port
        self.tool = tool
        self.process = process
    }

    /// Runs `body` with a server that trusts `certificateAuthority` (one `authorized_keys` line)
    /// and reads `revocationList`, and stops it after.
    public static func with<Value>(
        trusting certificateAuthority: String, revocationList: [UInt8], _ body: (SSHServer) async throws -> Value
    ) async throws -> Value {
        try await OpenSSHTool.withScratch { tool in
            let server = try await start(in: tool, trusting: certificateAuthority, revocationList: revocationList)
            defer { server.stop() }
            return try await body(server)
        }
    }

    private static func start(in tool: OpenSSHTool, trusting certificateAuthority: String, revocationList: [UInt8]) async throws -> SSHServer {
        let hostKey = tool.directory.appendingPathComponent("host_key").path
        let made = try await tool.keygen(["-q", "-t", "ed25519", "-N", "", "-f", hostKey])
        guard made.status == 0 else { throw LoopbackPort.Unavailable(description: "no host key: \(made.output)") }
        let trusted = try tool.write("trusted-user-ca.pub", certificateAuthority + "\n")
        let revoked = try tool.write("revoked.krl", revocationList)
        let port = try LoopbackPort.free()
        let configuration = try tool.write("sshd_config", """
            ListenAddress 127.0.0.1
            Port \(port)
            HostKey \(hostKey)
            PidFile \(tool.directory.appendingPathComponent("sshd.pid").path)
            TrustedUserCAKeys \(trusted)
            RevokedKeys \(revoked)
            AuthorizedKeysFile none
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PubkeyAuthentication yes
            UsePAM no
            StrictModes no
            LogLevel VERBOSE

            """)
        // sshd refuses to start as root without its privilege separation directory, which a
        // machine without the ssh service running may never have made.
        if getuid() == 0 { try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true) }
        let process = try ChildProcess.start(
            ["/usr/sbin/sshd", "-D", "-e", "-f", configuration], log: tool.directory.appendingPathComponent("sshd.log").path
        )
        let server = SSHServer(port: port, tool: tool, process: process)
        try await server.waitUntilListening()
        return server
    }

    /// Polls the port, a few milliseconds apart, until sshd accepts a connection (at most 10 s).
    private func waitUntilListening() async throws {
        for _ in 0..<1000 {
            if LoopbackPort.accepts(port) { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw LoopbackPort.Unavailable(description: "sshd did not listen on \(port): \((try? tool.read("sshd.log")) ?? "")")
    }

    /// Replaces the revocation list the way a host's refresh job would: written beside it, then
    /// renamed over it, so sshd never reads half a file.
    public func replaceRevocationList(_ bytes: [UInt8]) throws {
        let fresh = try tool.write("revoked.krl.new", bytes)
        guard rename(fresh, tool.directory.appendingPathComponent("revoked.krl").path) == 0 else {
            throw LoopbackPort.Unavailable(description: "could not replace the revocation list")
        }
    }

    /// `ssh` to this server as `user` with `key` and its `certificate` (paths), running `command`.
    public func login(as user: String, key: String, certificate: String, command: String) async throws -> OpenSSHTool.Outcome {
        try await tool.run("/usr/bin/ssh", [
            "-i", key, "-o", "CertificateFile=\(certificate)", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
            "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "ConnectTimeout=10", "-p", String(port), "\(user)@127.0.0.1", command,
        ])
    }

    /// What sshd has logged so far: it names each certificate it accepted or refused.
    public var log: String { (try? tool.read("sshd.log")) ?? "" }

    public func stop() {
        process.terminate()
        _ = try? process.wait()
    }
}
