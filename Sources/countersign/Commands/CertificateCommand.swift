import ArgumentParser
import CountersignAPI
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
            let fresh = try await FreshCertificate.take(for: id, from: try gateway.client())
            let base = URL(fileURLWithPath: out).appendingPathComponent("countersign-\(fresh.request.id)").path
            let privateKeyFile = try fresh.privateKeyFile()
            do {
                try SecureFiles.createDirectory(out, mode: 0o700)
                try SecureFiles.writeNew(base, bytes: Array(privateKeyFile.utf8), mode: 0o600)
                try SecureFiles.writeNew(base + ".pub", bytes: Array((fresh.publicKeyLine + "\n").utf8), mode: 0o644)
                try SecureFiles.writeNew(base + "-cert.pub", bytes: Array((fresh.issued.certificate + "\n").utf8), mode: 0o644)
            } catch let error as SecureFileError {
                throw CLIFailure.input("could not write to \(out): \(error.message)")
            }
            let issued = fresh.issued
            if output.json {
                try JSONOutput.print(issued)
            } else {
                print("Wrote \(base) and its certificate \(base)-cert.pub")
                print("Certificate serial \(issued.serial) for \(issued.principals.joined(separator: ", ")), valid until \(TextFormat.time(issued.validBefore))")
                print("Connect with: ssh -i \(base) \(fresh.login)@\(fresh.host)")
            }
        }
    }
}
