import ArgumentParser
import CountersignAPI

struct AdminDistrustCA: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distrust-ca",
        abstract: "Withdraw the SSH user CA key signing now, at once, as compromised (admins group; audited).",
        discussion: """
            For when the CA's private key may be in other hands. The key leaves /v1/ssh/ca.pub at once and is \
            named in /v1/ssh/krl, so a host that reads the KRL refuses every certificate it ever signed, even one \
            whose TrustedUserCAKeys still lists it. The next key signs from now: the one a rotation had scheduled, \
            or a new one. Every host must fetch ca.pub again before it accepts new certificates, and must fetch the \
            KRL (`countersign admin krl --out FILE`) to stop the old ones; until then, sessions on certificates of \
            the withdrawn key are not refused. This cannot be undone, so it asks for --yes.
            """
    )

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions
    @Flag(help: "Confirm: the key signing now is withdrawn for good.") var yes = false

    func validate() throws {
        guard yes else { throw ValidationError("distrusting the CA key cannot be undone; pass --yes to do it") }
    }

    func run() async throws {
        try await reportingFailures {
            let keys = try await gateway.client().post("/v1/admin/ssh/ca/distrust", as: CertificateAuthorityRotationView.self)
            if output.json { return try JSONOutput.print(keys) }
            print("The CA key that was signing is withdrawn: it is out of /v1/ssh/ca.pub and revoked in /v1/ssh/krl.")
            for key in keys.keys {
                var line = "Key \(key.generation) \(key.fingerprint)"
                if let from = key.signsFrom { line += ", signs from \(TextFormat.time(from))" }
                if let until = key.retiresAt { line += ", trusted until \(TextFormat.time(until))" }
                print(line)
            }
            print("Now refresh TrustedUserCAKeys from /v1/ssh/ca.pub and RevokedKeys from /v1/ssh/krl on every host.")
        }
    }
}
