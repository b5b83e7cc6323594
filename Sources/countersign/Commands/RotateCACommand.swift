import ArgumentParser
import CountersignAPI

struct AdminRotateCA: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-ca",
        abstract: "Schedule the SSH user CA's next key (admins group; audited).",
        discussion: """
            The next key is published at once beside the current one in /v1/ssh/ca.pub, and starts signing \
            certificates after --switch-after. Every host must fetch ca.pub into its TrustedUserCAKeys before then, \
            or it will refuse the new certificates. The current key stays published for a day after the switch (the \
            longest a certificate lives), then hosts may drop it. One rotation at a time: another is refused until \
            the switch has happened.
            """
    )

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "How long hosts have to fetch the new key before it signs, e.g. 24h (0s to 30d).") var switchAfter = KeySwitchDelay.standard

    func run() async throws {
        try await reportingFailures {
            let rotation = try await gateway.client().post("/v1/admin/ssh/ca/rotate", body: switchAfter.body, as: CertificateAuthorityRotationView.self)
            if output.json { return try JSONOutput.print(rotation) }
            for key in rotation.keys {
                var line = "Key \(key.generation) \(key.fingerprint)"
                if let from = key.signsFrom { line += ", signs from \(TextFormat.time(from))" }
                if let until = key.retiresAt { line += ", trusted until \(TextFormat.time(until))" }
                print(line)
            }
            print("Refresh TrustedUserCAKeys on every host from /v1/ssh/ca.pub before the switch.")
        }
    }
}
