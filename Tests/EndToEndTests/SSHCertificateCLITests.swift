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
        let filed = try await bob.run(
            "request", "ssh", "--host", "web-9.prod.internal", "--login", login, "--duration", "30m",
            "--reason", "Rotate the worker's logs", "--ticket", "INC-91", "--quiet"
        )
        try filed.requireSuccess()
        let id = filed.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
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

    static func fetch(_ url: String) async throws -> [UInt8] {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        try #require(response.status == .ok)
        return Array(buffer: try await response.body.collect(upTo: 1 << 20))
    }
}
