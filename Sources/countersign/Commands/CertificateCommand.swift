import ArgumentParser
import CountersignAPI
import CountersignSSH
import Crypto
import Foundation
import SecureFiles

struct Certificate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert",
        abstract: "Get an SSH certificate for an approved request, for a key made here and now.",
        discussion: """
            Makes a fresh Ed25519 key pair on this machine, sends only its public half, and writes three files to \
            --out: the private key (mode 0600; it never leaves this machine), its public key, and the certificate \
            beside it (KEY-cert.pub, which ssh picks up with -i KEY). The certificate is for the request's approved \
            login only and expires when the approved access does. Existing files are never overwritten.
            """
    )

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Request id of an approved SSH request of yours.") var id: String
    @Option(help: "Directory to write the key and certificate to (made, mode 0700, if missing).") var out: String

    func run() async throws {
        try await reportingFailures {
            let client = try gateway.client()
            let request = try await client.get("/v1/requests/\(PathSegment.encode(id))", as: RequestView.self)
            guard let host = request.target.host, let login = request.target.login else {
                throw CLIFailure.input("request \(request.id) is a \(request.kind) request: it yields no SSH certificate")
            }
            let key = Curve25519.Signing.PrivateKey()
            let publicKey = SSHEd25519PublicKey(key.publicKey)
            let issued = try await client.post(
                "/v1/requests/\(PathSegment.encode(request.id))/ssh-certificate",
                body: SSHCertificateBody(publicKey: publicKey.authorizedKeysLine(comment: "countersign:\(request.id)")), as: SSHCertificateView.self
            )
            let base = URL(fileURLWithPath: out).appendingPathComponent("countersign-\(request.id)").path
            let privateKeyFile = try OpenSSHPrivateKey.fileText(key, comment: "countersign:\(request.id)")
            do {
                try SecureFiles.createDirectory(out, mode: 0o700)
                try SecureFiles.writeNew(base, bytes: Array(privateKeyFile.utf8), mode: 0o600)
                try SecureFiles.writeNew(base + ".pub", bytes: Array((publicKey.authorizedKeysLine(comment: "countersign:\(request.id)") + "\n").utf8), mode: 0o644)
                try SecureFiles.writeNew(base + "-cert.pub", bytes: Array((issued.certificate + "\n").utf8), mode: 0o644)
            } catch let error as SecureFileError {
                throw CLIFailure.input("could not write to \(out): \(error.message)")
            }
            if output.json {
                try JSONOutput.print(issued)
            } else {
                print("Wrote \(base) and its certificate \(base)-cert.pub")
                print("Certificate serial \(issued.serial) for \(issued.principals.joined(separator: ", ")), valid until \(TextFormat.time(issued.validBefore))")
                print("Connect with: ssh -i \(base) \(login)@\(host)")
            }
        }
    }
}
