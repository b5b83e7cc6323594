import CountersignAPI
import CountersignSSH
import Crypto

/// An SSH certificate for a key made here and now: only the public half is sent, and the private
/// half stays in this process until the caller puts it where ssh reads it.
struct FreshCertificate {
    let request: RequestView
    let host: String
    let login: String
    let key: Curve25519.Signing.PrivateKey
    let issued: SSHCertificateView

    var comment: String { "countersign:\(request.id)" }
    var publicKeyLine: String { SSHEd25519PublicKey(key.publicKey).authorizedKeysLine(comment: comment) }

    func privateKeyFile() throws(CLIFailure) -> String {
        do {
            return try OpenSSHPrivateKey.fileText(key, comment: comment)
        } catch {
            throw .input("cannot write the key in OpenSSH's format: \(error.message)")
        }
    }

    /// Refused (exit 1) unless `id` is an approved SSH request of the caller's with access left.
    static func take(for id: String, from client: GatewayClient) async throws(CLIFailure) -> FreshCertificate {
        let request = try await client.get("/v1/requests/\(PathSegment.encode(id))", as: RequestView.self)
        guard let host = request.target.host, let login = request.target.login else {
            throw .input("request \(request.id) is a \(request.kind) request: it yields no SSH certificate")
        }
        let key = Curve25519.Signing.PrivateKey()
        let publicKey = SSHEd25519PublicKey(key.publicKey).authorizedKeysLine(comment: "countersign:\(request.id)")
        let issued = try await client.post(
            "/v1/requests/\(PathSegment.encode(request.id))/ssh-certificate",
            body: SSHCertificateBody(publicKey: publicKey), as: SSHCertificateView.self
        )
        return FreshCertificate(request: request, host: host, login: login, key: key, issued: issued)
    }
}
