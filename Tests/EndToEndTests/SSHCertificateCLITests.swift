import AsyncHTTPClient
import CountersignAPI
import Foundation
import Testing
import TestSupport

@Suite("countersign cert against a live countersignd and a real sshd", .timeLimit(.minutes(2)))
struct SSHCertificateCLITests {
    @Test("the key made by countersign cert, with its certificate, logs in to sshd as the approved login; the private key is 0600")
    func certificateLogsIn() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let daemon = try await Daemon.start(scratch: scratch)
        let bob = try await daemon.loggedInCLI("bob", scratch: scratch)
        let dave = try await daemon.loggedInCLI("dave", scratch: scratch)
        let login = SSHServer.localUser
        let id = try await Self.fileSSH(bob, reason: "Rotate the worker's logs")
        try await dave.run("approve", id).requireSuccess()

        let out = scratch.path("keys")
        let written = try await bob.run("cert", id, "--out", out)
        try written.requireSuccess()
        let key = out + "/countersign-\(id)"
        #expect(written.standardOutput.contains("ssh -i \(key) \(login)@web-9.prod.internal"), "\(written.standardOutput)")
        let mode = try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as? Int == 0o700)
        let again = try await bob.run("cert", id, "--out", out)
        #expect(again.status == 2 && again.standardError.contains("could not write"), "an existing key is never overwritten")

        let authority = try await Self.fetch(daemon.url + "/v1/ssh/ca.pub")
        let revocations = try await Self.fetch(daemon.url + "/v1/ssh/krl")
        try await SSHServer.with(trusting: String(decoding: authority, as: UTF8.self).trimmingCharacters(in: .newlines), revocationList: revocations) { server in
            let session = try await server.login(as: login, key: key, certificate: key + "-cert.pub", command: "echo countersign-cli-ok")
            #expect(session.status == 0 && session.output.contains("countersign-cli-ok"), "\(session.output)\n\(server.log)")
        }

        let deploy = try await bob.run("cert", "0123456789abcdefghjk", "--out", out)
        #expect(deploy.status == 1, "an unknown request is refused: \(deploy.standardError)")
    }

    @Test("countersign ssh logs in with a certificate made for the connection, leaves no key behind, and admin krl shuts it out")
    func sshThenRevocationList() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let daemon = try await Daemon.start(scratch: scratch)
        let bob = try await daemon.loggedInCLI("bob", scratch: scratch)
        let dave = try await daemon.loggedInCLI("dave", scratch: scratch)
        let erin = try await daemon.loggedInCLI("erin", scratch: scratch)
        let id = try await Self.fileSSH(bob, reason: "Look at the worker's memory")
        let early = try await bob.run("ssh", id, "--ssh", "/usr/bin/ssh")
        #expect(early.status == 1, "a pending request yields no certificate: \(early.standardError)")
        try await dave.run("approve", id).requireSuccess()

        let list = scratch.path("revoked.krl")
        try await bob.run("admin", "krl", "--out", list).requireSuccess()
        let authority = try await Self.fetch(daemon.url + "/v1/ssh/ca.pub")
        try await SSHServer.with(trusting: String(decoding: authority, as: UTF8.self).trimmingCharacters(in: .newlines), revocationList: try Self.read(list)) { server in
            let options = [
                "--", "-n", "-p", String(server.port), "-o", "HostName=127.0.0.1", "-o", "BatchMode=yes",
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "echo", "countersign-ssh-ok",
            ]
            let session = try await bob.run(["ssh", id, "--ssh", "/usr/bin/ssh"] + options)
            #expect(session.status == 0 && session.standardOutput.contains("countersign-ssh-ok"), "\(session.standardError)\n\(server.log)")
            #expect(session.standardError.contains("Certificate serial"), "\(session.standardError)")
            #expect(server.log.contains(#"ID "countersign:\#(id):bob""#), "\(server.log)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path("home-bob")).allSatisfy { !$0.contains(id) }, "no key file left")

            try await erin.run("revoke", id, "--reason", "Memory looked at").requireSuccess()
            let refreshed = try await bob.run("admin", "krl", "--out", list)
            try refreshed.requireSuccess()
            #expect(refreshed.standardOutput.contains("key revocation list version"), "\(refreshed.standardOutput)")
            try server.replaceRevocationList(try Self.read(list))
            let revoked = try await bob.run(["ssh", id, "--ssh", "/usr/bin/ssh"] + options)
            #expect(revoked.status == 1 && !revoked.standardOutput.contains("countersign-ssh-ok"), "a revoked request yields no new certificate")
        }

        // A list with a later version than the gateway's answer stands: an old list never
        // brings a revoked certificate back.
        var newer = try Self.read(list)
        for index in 12..<20 { newer[index] = 0xFF }
        try Data(newer).write(to: URL(fileURLWithPath: list))
        let stale = try await bob.run("admin", "krl", "--out", list)
        #expect(stale.status == 1 && stale.standardError.contains("older than"), "\(stale.standardError)")
        #expect(try Self.read(list) == newer, "the newer list is left as it was")
        let unreachable = try await Command.run(Binaries.cli.path, ["admin", "krl", "--out", list, "--server", "http://127.0.0.1:1"])
        #expect(try unreachable.status == 4 && Self.read(list) == newer)
    }

    @Test("admin distrust-ca withdraws the CA key for good: only with --yes and for admins; admin krl then shuts out what it signed where ca.pub is stale")
    func distrustAuthority() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let daemon = try await Daemon.start(scratch: scratch)
        let bob = try await daemon.loggedInCLI("bob", scratch: scratch)
        let dave = try await daemon.loggedInCLI("dave", scratch: scratch)
        let erin = try await daemon.loggedInCLI("erin", scratch: scratch)
        let id = try await Self.fileSSH(bob, reason: "Check the disk on the worker")
        try await dave.run("approve", id).requireSuccess()
        let out = scratch.path("keys")
        try await bob.run("cert", id, "--out", out).requireSuccess()
        let key = out + "/countersign-\(id)"
        let stale = String(decoding: try await Self.fetch(daemon.url + "/v1/ssh/ca.pub"), as: UTF8.self).trimmingCharacters(in: .newlines)

        let unconfirmed = try await erin.run("admin", "distrust-ca")
        #expect(unconfirmed.status == 2 && unconfirmed.standardError.contains("--yes"), "\(unconfirmed.standardError)")
        let notAdmin = try await bob.run("admin", "distrust-ca", "--yes")
        #expect(notAdmin.status == 1 && notAdmin.standardError.contains("forbidden"), "\(notAdmin.standardError)")
        #expect(String(decoding: try await Self.fetch(daemon.url + "/v1/ssh/ca.pub"), as: UTF8.self).trimmingCharacters(in: .newlines) == stale, "the refusals changed nothing")

        let distrusted = try await erin.run("admin", "distrust-ca", "--yes")
        #expect(distrusted.status == 0 && distrusted.standardOutput.contains("Key 2 SHA256:"), "\(distrusted.standardOutput)\(distrusted.standardError)")
        let list = scratch.path("revoked.krl")
        try await erin.run("admin", "krl", "--out", list).requireSuccess()
        try await SSHServer.with(trusting: stale, revocationList: try Self.read(list)) { server in
            let refused = try await server.login(as: SSHServer.localUser, key: key, certificate: key + "-cert.pub", command: "echo should-not-run")
            #expect(refused.status != 0 && !refused.output.contains("should-not-run"), "\(refused.output)")
        }
    }

    /// A 30-minute SSH request to web-9.prod.internal as the local login, filed by `cli`'s user.
    static func fileSSH(_ cli: CLI, reason: String) async throws -> String {
        let filed = try await cli.run(
            "request", "ssh", "--host", "web-9.prod.internal", "--login", SSHServer.localUser, "--duration", "30m",
            "--reason", reason, "--ticket", "INC-91", "--quiet"
        )
        try filed.requireSuccess()
        return filed.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func read(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func fetch(_ url: String) async throws -> [UInt8] {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        try #require(response.status == .ok)
        return Array(buffer: try await response.body.collect(upTo: 1 << 20))
    }
}
