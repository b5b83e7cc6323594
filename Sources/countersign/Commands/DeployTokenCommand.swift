import ArgumentParser
import CountersignAPI
import SecureFiles

struct DeployTokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy-token",
        abstract: "Get a signed deploy token for an approved deploy request of yours.",
        discussion: """
            The token (a JWT signed with EdDSA) names the request, its service, environment and commit, who asked and \
            who approved, and expires when the approval does (at most a day after issue). Deploy tooling checks it \
            offline with `countersign verify-token @FILE --jwks URL ...` against the gateway's /.well-known/jwks.json. \
            Each call issues a new token under a new serial, and is audited.

            Without --out the token is printed on standard output. With --out it is written to FILE, mode 0600; an \
            existing file is never overwritten.
            """
    )

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Request id of an approved deploy request of yours.") var id: String
    @Option(help: "File to write the token to (mode 0600, never overwritten).") var out: String?

    func run() async throws {
        try await reportingFailures {
            let issued = try await gateway.client().post("/v1/requests/\(PathSegment.encode(id))/deploy-token", as: DeployTokenView.self)
            if let out {
                do throws(SecureFileError) {
                    try SecureFiles.writeNew(out, bytes: Array((issued.token + "\n").utf8), mode: 0o600)
                } catch {
                    throw CLIFailure.input("could not write \(out): \(error.message)")
                }
            }
            if output.json { return try JSONOutput.print(issued) }
            guard let out else { return print(issued.token) }
            print("Wrote deploy token \(issued.jti) to \(out), valid until \(TextFormat.time(issued.expiresAt))")
        }
    }
}
