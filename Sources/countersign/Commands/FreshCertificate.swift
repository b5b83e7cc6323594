import CountersignAPI
import CountersignSSH
import Crypto
import Foundation
import SecureFiles

/// An Ed25519 key pair made here and now: only its public half is ever sent, and the private half
/// stays in this process until the caller puts it where ssh reads it.
struct FreshKey {
    let privateKey = Curve25519.Signing.PrivateKey()

    func publicKeyLine(comment: String) -> String {
        SSHEd25519PublicKey(privateKey.publicKey).authorizedKeysLine(comment: comment)
    }

    func privateKeyFile(comment: String) throws(CLIFailure) -> String {
        do {
            return try OpenSSHPrivateKey.fileText(privateKey, comment: comment)
        } catch {
            throw .input("cannot write the key in OpenSSH's format: \(error.message)")
        }
    }
}

/// An SSH certificate for a fresh key, with the request it was issued under.
struct FreshCertificate {
    let request: RequestView
    let host: String
    let login: String
    let key: FreshKey
    let issued: SSHCertificateView

    var comment: String { Self.comment(for: request.id) }
    var publicKeyLine: String { key.publicKeyLine(comment: comment) }

    func privateKeyFile() throws(CLIFailure) -> String {
        try key.privateKeyFile(comment: comment)
    }

    static func comment(for id: String) -> String { "countersign:\(id)" }

    /// Refused (exit 1) unless `id` is an approved SSH request of the caller's with access left.
    static func take(for id: String, from client: GatewayClient) async throws(CLIFailure) -> FreshCertificate {
        let request = try await client.get("/v1/requests/\(PathSegment.encode(id))", as: RequestView.self)
        return try await certify(FreshKey(), under: request, from: client)
    }

    /// A certificate for `key` under `request`, which must be approved with access left.
    static func certify(_ key: FreshKey, under request: RequestView, from client: GatewayClient) async throws(CLIFailure) -> FreshCertificate {
        let destination = try destination(of: request)
        let issued = try await client.post(
            "/v1/requests/\(PathSegment.encode(request.id))/ssh-certificate",
            body: SSHCertificateBody(publicKey: key.publicKeyLine(comment: comment(for: request.id))), as: SSHCertificateView.self
        )
        return FreshCertificate(request: request, host: destination.host, login: destination.login, key: key, issued: issued)
    }

    /// `issued`, which the gateway handed over with `request` itself (as it does a break-glass grant's).
    static func received(_ issued: SSHCertificateView, for key: FreshKey, under request: RequestView) throws(CLIFailure) -> FreshCertificate {
        let destination = try destination(of: request)
        return FreshCertificate(request: request, host: destination.host, login: destination.login, key: key, issued: issued)
    }

    private static func destination(of request: RequestView) throws(CLIFailure) -> (host: String, login: String) {
        guard let host = request.target.host, let login = request.target.login else {
            throw .input("request \(request.id) is a \(request.kind) request: it yields no SSH certificate")
        }
        return (host, login)
    }

    /// Writes the private key (0600), its public key and the certificate beside it
    /// (KEY-cert.pub, which ssh picks up with -i KEY) into `directory`, made 0700 if missing;
    /// never over an existing file. The key's path.
    func write(to directory: String) throws(CLIFailure) -> String {
        let base = URL(fileURLWithPath: directory).appendingPathComponent("countersign-\(request.id)").path
        let privateKeyFile = try privateKeyFile()
        do {
            try SecureFiles.createDirectory(directory, mode: 0o700)
            try SecureFiles.writeNew(base, bytes: Array(privateKeyFile.utf8), mode: 0o600)
            try SecureFiles.writeNew(base + ".pub", bytes: Array((publicKeyLine + "\n").utf8), mode: 0o644)
            try SecureFiles.writeNew(base + "-cert.pub", bytes: Array((issued.certificate + "\n").utf8), mode: 0o644)
        } catch {
            throw .input("could not write to \(directory): \(error.message)")
        }
        return base
    }
}
