import ArgumentParser
import CountersignAPI

struct DeployCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "The deploy gate: exit 0 only if this exact rollout is approved now.",
        discussion: """
            Asks the gateway whether a deploy request for exactly --service, --environment and --commit is approved \
            and its window still open. Exit 0 prints who asked, who approved (and how) and until when; exit 1 prints \
            why not (nothing filed, pending, denied, cancelled, expired, revoked, or not logged in); exit 2 is bad \
            input; exit 4 means the gateway could not be reached or answered something unexpected. Anything but 0 \
            means do not deploy. In CI, put it before the rollout step: `countersign check --service payments-api \
            --environment production --commit "$GIT_COMMIT" || exit 1`.
            """
    )

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "The service being deployed.") var service: String
    @Option(help: "The environment it is deployed to.") var environment: String
    @Option(help: "The full 40-hex commit or sha256: digest being deployed.") var commit: String

    func run() async throws {
        try await reportingFailures {
            let approval = try await gateway.client().post(
                "/v1/deploys/check", body: DeployCheckBody(service: service, environment: environment, commit: commit), as: DeployCheckView.self
            )
            // An answer that says anything else is not an approval, whatever its status.
            guard approval.approved, approval.service == service, approval.environment == environment, approval.commit == commit else {
                throw CLIFailure.unreachable("the gateway answered for another rollout than the one asked about; do not deploy")
            }
            if output.json { return try JSONOutput.print(approval) }
            let approvers = approval.approvals.map { "\($0.approver) (\($0.method == "hardware_key" ? "security key" : "session"))" }
            print("Approved: \(approval.service) to \(approval.environment) at \(approval.commit)")
            print("Request \(approval.requestId) by \(approval.requester), approved by \(approvers.joined(separator: ", "))")
            print("Roll out before \(TextFormat.time(approval.accessExpiresAt))")
        }
    }
}
