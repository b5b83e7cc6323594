import ArgumentParser
import Foundation

@main
struct Countersign: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "countersign",
        abstract: "Ask for, review and check multi-party approvals for deploys and SSH access.",
        discussion: """
        Exit codes: 0 ok (approved, for `wait` and `check`); 1 refused, denied, cancelled, expired
        or not logged in; 2 usage or input error; 3 timeout; 4 gateway unreachable.
        Shell completions: countersign --generate-completion-script bash|zsh|fish.
        """,
        subcommands: [
            Login.self, Logout.self, WhoAmI.self,
            RequestCommand.self, ListRequests.self, Show.self, Wait.self,
            Approve.self, Deny.self, Cancel.self, Revoke.self, Certificate.self, SecureShell.self, BreakGlassCommand.self, DeployCheck.self, DeployTokenCommand.self, VerifyToken.self,
            RecordingsCommand.self, Play.self, RecordCommand.self, AuditCommand.self, PolicyCommand.self, AdminCommand.self,
        ]
    )

    /// ArgumentParser exits 64 on usage errors; this CLI documents 2 for every usage or input
    /// error, so scripts have one code to check.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
