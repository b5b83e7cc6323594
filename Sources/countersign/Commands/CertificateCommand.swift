import ArgumentParser
import CountersignAPI
import Foundation

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
            let base = try fresh.write(to: out)
            if output.json {
                try JSONOutput.print(fresh.issued)
            } else {
                Self.describe(fresh, writtenTo: base)
            }
        }
    }

    /// What was written where, and how to connect with it.
    static func describe(_ fresh: FreshCertificate, writtenTo base: String) {
        let issued = fresh.issued
        print("Wrote \(base) and its certificate \(base)-cert.pub")
        print("Certificate serial \(issued.serial) for \(issued.principals.joined(separator: ", ")), valid until \(TextFormat.time(issued.validBefore))")
        print("Connect with: ssh -i \(base) \(fresh.login)@\(fresh.host)")
    }
}
