/// The result of one PAM transaction (authentication followed by account checks).
public enum PAMOutcome: Sendable, Equatable {
    /// `canonicalUsername` is the account's own spelling, which may differ from what was typed:
    /// where the directory ignores case (SSSD, winbind, LDAP), `ALICE` authenticates as `alice`.
    case authenticated(canonicalUsername: String)
    case refused(PAMRefusal)
}

/// Why PAM refused a sign-in.
///
/// None of the cases carries the password, and an unknown user is reported exactly like a
/// wrong password, so neither logs nor responses built from a refusal can leak a secret or
/// confirm that an account exists.
public enum PAMRefusal: Sendable, Equatable {
    /// The username or password is wrong, the user is unknown, or the input was malformed.
    case badCredentials
    /// The password was right, but the account stage refused the user (disabled, expired,
    /// password change required, …).
    case accountUnavailable
    /// PAM itself failed: missing or broken configuration, module errors, conversation errors.
    /// `message` comes from `pam_strerror`, prefixed with the PAM call that failed.
    case serviceError(code: Int32, message: String)
}

extension PAMOutcome: CustomStringConvertible {
    public var description: String {
        switch self {
        case .authenticated(let canonicalUsername):
            "authenticated as \(canonicalUsername)"
        case .refused(let refusal):
            "refused: \(refusal)"
        }
    }
}

extension PAMRefusal: CustomStringConvertible {
    public var description: String {
        switch self {
        case .badCredentials:
            "bad credentials"
        case .accountUnavailable:
            "account unavailable"
        case .serviceError(let code, let message):
            "PAM service error \(code): \(message)"
        }
    }
}
