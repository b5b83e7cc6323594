import ArgumentParser
import CountersignAPI

struct AdminRotateTokenKey: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-token-key",
        abstract: "Schedule the deploy token key's next generation (admins group; audited).",
        discussion: """
            The next key is published at once beside the current one in /.well-known/jwks.json, and starts \
            signing deploy tokens after --switch-after. Every verifier (verify-token --jwks, a deploy controller \
            with a saved or cached JWKS) must refresh its JWKS before then, or it will refuse the new tokens as \
            unknown_key. The current key stays in the JWKS for a day after the switch (the longest a token lives), \
            so tokens it signed keep verifying until they expire. One rotation at a time: another is refused until \
            the switch has happened.
            """
    )

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "How long verifiers have to refresh their JWKS before the new key signs, e.g. 24h (0s to 30d).")
    var switchAfter = KeySwitchDelay.standard

    func run() async throws {
        try await reportingFailures {
            let rotation = try await gateway.client().post(
                "/v1/admin/deploy-tokens/keys/rotate", body: switchAfter.body, as: DeployTokenKeyRotationView.self
            )
            if output.json { return try JSONOutput.print(rotation) }
            for key in rotation.keys {
                var line = "Key \(key.generation) kid \(key.kid)"
                if let from = key.signsFrom { line += ", signs from \(TextFormat.time(from))" }
                if let until = key.retiresAt { line += ", in the JWKS until \(TextFormat.time(until))" }
                print(line)
            }
            print("Refresh every verifier's JWKS from /.well-known/jwks.json before the switch.")
        }
    }
}
