import CountersignCore
import Foundation

/// `COUNTERSIGN_TOKEN`: a machine token handed to the CLI the way CI systems pass secrets, used in
/// preference to any saved login. Set but not a machine token (empty, cut short, a session token
/// pasted by mistake) is an error rather than a silent fall back to whoever last logged in.
enum MachineTokenEnvironment {
    static let variable = "COUNTERSIGN_TOKEN"

    /// The machine token from the environment, or nil when the variable is not set.
    static func token(in environment: [String: String] = ProcessInfo.processInfo.environment) throws(CLIFailure) -> MachineTokenSecret? {
        guard let value = environment[variable] else { return nil }
        guard let secret = MachineTokenSecret(value.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            // Never echoed: whatever it holds may be a secret of some other kind.
            throw .input(
                "\(variable) is set but is not a machine token (csm_ and 43 characters, as `countersign admin token create` prints it); unset it to use your saved login"
            )
        }
        return secret
    }
}
