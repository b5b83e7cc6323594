import CPAM

/// A PAM return code from a named call, mapped onto what callers may learn from it.
struct PAMStatus {
    let code: Int32
    /// The libpam function that returned `code`, kept for operators reading service errors.
    let call: String

    /// After `pam_authenticate`, an unknown user must look exactly like a wrong password so
    /// that usernames cannot be enumerated.
    var refusalAfterAuthentication: PAMRefusal {
        switch code {
        case PAM_AUTH_ERR, PAM_USER_UNKNOWN, PAM_CRED_INSUFFICIENT, PAM_MAXTRIES:
            .badCredentials
        default:
            serviceError
        }
    }

    /// After `pam_acct_mgmt` the password is already known to be right, so saying that the
    /// account is unusable reveals nothing to someone who does not hold it.
    var refusalAfterAccountCheck: PAMRefusal {
        switch code {
        case PAM_ACCT_EXPIRED, PAM_PERM_DENIED, PAM_NEW_AUTHTOK_REQD, PAM_AUTHTOK_EXPIRED,
            PAM_AUTH_ERR, PAM_USER_UNKNOWN:
            .accountUnavailable
        default:
            serviceError
        }
    }

    var serviceError: PAMRefusal {
        // Linux-PAM ignores the handle here, and its messages are fixed strings that never
        // echo the user's input.
        let text = pam_strerror(nil, code).map { String(cString: $0) } ?? "unknown PAM error"
        return .serviceError(code: code, message: "\(call): \(text)")
    }
}
