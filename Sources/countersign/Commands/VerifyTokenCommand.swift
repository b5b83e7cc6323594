import ArgumentParser
import DeployTokens
import Foundation

struct VerifyToken: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-token",
        abstract: "Verify a deploy token offline: exit 0 only if the gateway signed it for this exact rollout and it is valid now.",
        discussion: """
            Checks TOKEN against the gateway's public keys (--jwks: its /.well-known/jwks.json, or a saved copy) without \
            asking the gateway anything else: an EdDSA signature by a key the JWKS lists under the token's kid, audience \
            deploy, the time window (with \(Int(DeployTokenVerifier.leeway)) s of leeway for clocks), and the service, \
            environment and commit exactly as given; with --issuer, the gateway that signed it too. alg none, HMAC and any \
            other algorithm, keys named or carried in the token's header (jku, jwk, x5u, x5c), unknown claims and another \
            spelling of the token's JSON are all refused.

            Pass the token as - to read it from standard input, or as @FILE to read it from a file (as `countersign \
            deploy-token ID --out FILE` writes it): a token written on the command line is visible to every user of the \
            machine through ps.

            Exit 0 prints who requested the rollout, who approved it and how, and until when. Exit 1 prints why the \
            token is refused; exit 2 is bad input (an unreadable token file); exit 4 means the JWKS could not be fetched \
            or read. Anything but 0 means do not deploy.
            """
    )

    @Argument(help: "The deploy token, - for standard input, or @FILE.") var token: String
    @Option(help: "The gateway's JWKS: an https:// URL (http:// only on this machine), or a file.") var jwks: String
    @Option(help: "The service being deployed.") var service: String
    @Option(help: "The environment it is deployed to.") var environment: String
    @Option(help: "The full 40-hex commit or sha256: digest being deployed.") var commit: String
    @Option(help: "The gateway's public URL the token must name as its issuer (iss).") var issuer: String?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let token = try BoundedInput.token(token, limit: DeployTokenVerifier.maximumTokenSize)
            let keys = try await keySet()
            let claims: DeployTokenClaims
            do throws(DeployTokenRefusal) {
                claims = try DeployTokenVerifier(keys: keys).verify(
                    token, expecting: DeployTokenExpectation(service: service, environment: environment, commit: commit, issuer: issuer), at: Date()
                )
            } catch {
                throw CLIFailure.refused("deploy token refused (\(error.code.rawValue)): \(error.reason); do not deploy")
            }
            if output.json { return try JSONOutput.print(claims) }
            let approvers = claims.approvers.map { "\($0.name) (\($0.method == .hardwareKey ? "security key" : "session"))" }
            print("Verified: \(claims.service) to \(claims.environment) at \(claims.commit)")
            print("Request \(claims.requestID) by \(claims.subject), approved by \(approvers.joined(separator: ", "))")
            print("Roll out before \(TextFormat.time(claims.expiresAt)) (token \(claims.tokenID), issued by \(claims.issuer))")
        }
    }

    /// The JWKS from its URL or file. A key set fetched in the clear from another machine could
    /// have been swapped on the way, and would then vouch for any token.
    private func keySet() async throws(CLIFailure) -> DeployTokenKeySet {
        let limit = DeployTokenKeySet.maximumSize
        let bytes: [UInt8]
        if jwks.hasPrefix("https://") {
            bytes = try await BoundedInput.fetch(jwks, limit: limit)
        } else if jwks.hasPrefix("http://") {
            guard let host = URLComponents(string: jwks)?.host, ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host) else {
                throw .input("fetch the JWKS over https://; http:// is only for a gateway on this machine")
            }
            bytes = try await BoundedInput.fetch(jwks, limit: limit)
        } else {
            do {
                bytes = try BoundedInput.file(jwks, limit: limit)
            } catch {
                throw .unreachable("cannot read the JWKS: \(error.message)")
            }
        }
        do {
            return try DeployTokenKeySet(parsing: bytes)
        } catch {
            throw .unreachable("the JWKS at \(jwks) cannot be used (\(error.code.rawValue)): \(error.reason)")
        }
    }
}
