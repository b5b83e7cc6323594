import NIOPosix
import PAMAuth

/// The answer of whatever checks passwords.
public enum PasswordCheck: Sendable, Equatable {
    /// The password is right for the account spelled `canonicalUsername`, which may differ from the
    /// name that was typed where the directory ignores case.
    case accepted(canonicalUsername: String)
    case rejected
    /// The password was right but the account may not log in now (expired, locked, disabled).
    case accountUnavailable
    /// The check itself could not run; the message is for the operator's log.
    case unavailable(String)
}

public protocol PasswordVerifier: Sendable {
    func check(username: String, password: String) async -> PasswordCheck
}

/// Checks passwords with PAM. PAM calls block (a wrong password waits out pam_faildelay), so they
/// run on NIO's blocking thread pool, never on an event loop.
public struct PAMPasswordVerifier: PasswordVerifier {
    let authenticator: PAMAuthenticator

    public init(service: String, configDirectory: String?) {
        authenticator = PAMAuthenticator(service: service, configDirectory: configDirectory)
    }

    public func check(username: String, password: String) async -> PasswordCheck {
        let outcome: PAMOutcome
        do {
            outcome = try await NIOThreadPool.singleton.runIfActive { [authenticator] in
                authenticator.authenticate(username: username, password: password)
            }
        } catch {
            return .unavailable("PAM thread pool is shut down")
        }
        switch outcome {
        case .authenticated(let canonicalUsername): return .accepted(canonicalUsername: canonicalUsername)
        case .refused(.badCredentials): return .rejected
        case .refused(.accountUnavailable): return .accountUnavailable
        case .refused(.serviceError(let code, let message)): return .unavailable("PAM error \(code): \(message)")
        }
    }
}
