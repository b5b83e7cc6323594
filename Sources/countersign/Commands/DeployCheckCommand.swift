import ArgumentParser
import CountersignAPI
import Foundation
import SecureFiles

struct DeployCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "The deploy gate: exit 0 only if this exact rollout is approved now.",
        discussion: """
            Asks the gateway whether a deploy request for exactly --service, --environment and --commit is approved \
            and its window still open. Exit 0 prints who asked, who approved (and how) and until when; exit 1 prints \
            why not (nothing filed, pending, denied, cancelled, expired, revoked, already used, or not logged in); \
            exit 2 is bad input; exit 4 means the gateway could not be reached or answered something unexpected. \
            Anything but 0 means do not deploy. In CI, put it before the rollout step: `countersign check --service \
            payments-api --environment production --commit "$GIT_COMMIT" --consume || exit 1`.

            --consume records that the rollout starts now (audited; deploy tooling needs the deploy:consume scope). \
            Where the policy makes the approval single-use, that spends it: every later check of the same rollout \
            answers exit 1. --token-out FILE also writes a signed deploy token for the approval to FILE (mode 0600; \
            the file must not exist yet), for a deployer that checks it offline with `countersign verify-token`. A \
            single-use approval yields its one token only together with --consume.
            """
    )

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "The service being deployed.") var service: String
    @Option(help: "The environment it is deployed to.") var environment: String
    @Option(help: "The full 40-hex commit or sha256: digest being deployed.") var commit: String
    @Flag(help: "Record that the rollout starts now; spends a single-use approval.") var consume = false
    @Option(help: "Also write a deploy token for the approval to FILE (mode 0600, never overwritten).") var tokenOut: String?

    func run() async throws {
        try await reportingFailures {
            // Before asking: a token the gateway issued (and a single-use approval it spent) must
            // not be lost to a file that cannot be written.
            if let tokenOut { try Self.requireWritable(tokenOut) }
            let body = DeployCheckBody(
                service: service, environment: environment, commit: commit, consume: consume, deployToken: tokenOut != nil
            )
            let approval = try await gateway.client().post("/v1/deploys/check", body: body, as: DeployCheckView.self)
            // An answer that says anything else is not an approval, whatever its status.
            guard approval.approved, approval.service == service, approval.environment == environment, approval.commit == commit,
                  (tokenOut == nil) == (approval.deployToken == nil), !consume || approval.rolloutStartedAt != nil
            else {
                throw CLIFailure.unreachable("the gateway answered for another rollout than the one asked about; do not deploy")
            }
            if let tokenOut, let token = approval.deployToken {
                do throws(SecureFileError) {
                    try SecureFiles.writeNew(tokenOut, bytes: Array((token.token + "\n").utf8), mode: 0o600)
                } catch {
                    throw CLIFailure.unreachable("the approval was \(consume ? "spent" : "checked") but its deploy token could not be written to \(tokenOut): \(error.message); do not deploy")
                }
            }
            if output.json { return try JSONOutput.print(approval) }
            let approvers = approval.approvals.map { "\($0.approver) (\($0.method == "hardware_key" ? "security key" : "session"))" }
            print("Approved: \(approval.service) to \(approval.environment) at \(approval.commit)")
            print("Request \(approval.requestId) by \(approval.requester), approved by \(approvers.joined(separator: ", "))")
            print("Roll out before \(TextFormat.time(approval.accessExpiresAt))")
            if consume, let at = approval.rolloutStartedAt {
                print(approval.singleUse ? "Rollout started \(TextFormat.time(at)); this single-use approval is now spent" : "Rollout start recorded")
            } else if approval.singleUse {
                print("Single-use: pass --consume when the rollout starts")
            }
            if let tokenOut, let token = approval.deployToken {
                print("Wrote deploy token \(token.jti) to \(tokenOut), valid until \(TextFormat.time(token.expiresAt))")
            }
        }
    }

    /// Refuses a token file that exists, or a directory where no new file can be made.
    private static func requireWritable(_ path: String) throws {
        guard !SecureFiles.exists(path) else { throw CLIFailure.input("\(path) already exists; a deploy token is never written over a file") }
        let probe = SecureFiles.temporaryPath(beside: path)
        do throws(SecureFileError) {
            try SecureFiles.createEmpty(probe, mode: 0o600)
        } catch {
            throw CLIFailure.input("cannot write a deploy token beside \(path): \(error.message)")
        }
        try? FileManager.default.removeItem(atPath: probe)
    }
}
