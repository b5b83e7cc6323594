import CPAM

/// Checks a username and password against a PAM service.
///
/// `authenticate` blocks for as long as the PAM modules take, including the fail delay that
/// most of them request after a refusal (about two seconds, randomised by libpam), so callers
/// must run it off the event loop.
public struct PAMAuthenticator: Sendable {
    /// The PAM service name: the file read from the configuration directory.
    public let service: String
    /// Where the service file lives instead of /etc/pam.d. When set, PAM reads only this
    /// directory and never falls back to /etc/pam.d.
    public let configDirectory: String?

    public init(service: String, configDirectory: String?) {
        self.service = service
        self.configDirectory = configDirectory
    }

    /// Runs `pam_authenticate` then `pam_acct_mgmt` for one user, and names the account that
    /// authenticated in its canonical spelling (PAM's `PAM_USER`, then NSS's `pw_name`).
    ///
    /// Malformed input is refused as `.badCredentials` before PAM is involved, so PAM modules
    /// only ever see bounded, printable usernames and NUL-free passwords.
    public func authenticate(username: String, password: String) -> PAMOutcome {
        guard let username = PAMUsername(username), let password = PAMPassword(password) else {
            return .refused(.badCredentials)
        }
        guard let secret = SecretCString(password.value) else {
            return .refused(.serviceError(code: PAM_BUF_ERR, message: "could not copy the password"))
        }
        return secret.withCString { passwordPointer in
            var conversation = pam_conv(
                conv: answerPasswordPrompts,
                appdata_ptr: UnsafeMutableRawPointer(passwordPointer)
            )
            // Keep one stable address for the conversation for the whole transaction, even
            // though Linux-PAM copies it in pam_start.
            return withUnsafePointer(to: &conversation) { conversation in
                runTransaction(for: username, conversation: conversation)
            }
        }
    }

    private func runTransaction(for username: PAMUsername, conversation: UnsafePointer<pam_conv>) -> PAMOutcome {
        var handle: OpaquePointer?
        let started =
            if let configDirectory {
                pam_start_confdir(service, username.value, conversation, configDirectory, &handle)
            } else {
                pam_start(service, username.value, conversation, &handle)
            }
        // On failure libpam has already freed the handle, so it must not reach pam_end.
        guard started == PAM_SUCCESS else {
            return .refused(PAMStatus(code: started, call: "pam_start").serviceError)
        }
        guard let handle else {
            return .refused(.serviceError(code: PAM_SYSTEM_ERR, message: "pam_start: no handle returned"))
        }

        let flags = Int32(PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK)
        var status = pam_authenticate(handle, flags)
        let outcome: PAMOutcome
        if status != PAM_SUCCESS {
            outcome = .refused(PAMStatus(code: status, call: "pam_authenticate").refusalAfterAuthentication)
        } else {
            status = pam_acct_mgmt(handle, flags)
            if status != PAM_SUCCESS {
                outcome = .refused(PAMStatus(code: status, call: "pam_acct_mgmt").refusalAfterAccountCheck)
            } else if let authenticated = authenticatedUser(handle) {
                outcome = .authenticated(canonicalUsername: SystemAccountName.canonical(authenticated))
            } else {
                status = PAM_SYSTEM_ERR
                outcome = .refused(.serviceError(code: PAM_SYSTEM_ERR, message: "pam_get_item: no PAM_USER after authentication"))
            }
        }
        // pam_end lets modules clean up and overwrites libpam's own copy of the password.
        pam_end(handle, status)
        return outcome
    }

    /// The user PAM authenticated, which modules may have rewritten from the name given to
    /// pam_start (case folding, realm stripping, aliases): that one, not the typed one, is who
    /// proved the password.
    private func authenticatedUser(_ handle: OpaquePointer) -> String? {
        var item: UnsafeRawPointer?
        guard pam_get_item(handle, PAM_USER, &item) == PAM_SUCCESS, let item else { return nil }
        let name = String(cString: item.assumingMemoryBound(to: CChar.self))
        return name.isEmpty ? nil : name
    }
}
