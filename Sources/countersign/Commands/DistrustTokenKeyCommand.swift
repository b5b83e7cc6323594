import ArgumentParser
import CountersignAPI

struct AdminDistrustTokenKey: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distrust-token-key",
        abstract: "Withdraw the deploy token key signing now, at once, as compromised (admins group; audited).",
        discussion: """
            For when the token key's private half may be in other hands. Its kid leaves /.well-known/jwks.json at \
            once, so a verifier refuses its tokens (unknown_key) as soon as it fetches the JWKS again (caches may \
            keep it for five minutes). The next key signs from now: the one a rotation had scheduled, or a new one. \
            This cannot be undone, so it asks for --yes.
            """
    )

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions
    @Flag(help: "Confirm: the key signing now is withdrawn for good.") var yes = false

    func validate() throws {
        guard yes else { throw ValidationError("distrusting the deploy token key cannot be undone; pass --yes to do it") }
    }

    func run() async throws {
        try await reportingFailures {
            let keys = try await gateway.client().post("/v1/admin/deploy-tokens/keys/distrust", as: DeployTokenKeyRotationView.self)
            if output.json { return try JSONOutput.print(keys) }
            print("The deploy token key that was signing is withdrawn: it is out of /.well-known/jwks.json.")
            for key in keys.keys { print("Key \(key.generation) kid \(key.kid)") }
            print("Have every verifier fetch the JWKS again now.")
        }
    }
}
