import Glibc

/// The account's own spelling of a name PAM has authenticated, as NSS knows it.
///
/// Directories that ignore case (SSSD, winbind, many LDAP set-ups) find `ALICE` and answer with
/// the entry of `alice`; the entry's `pw_name` is the one spelling every other system uses. A name
/// NSS does not know (pam_pwdfile users, say) is kept as PAM left it.
enum SystemAccountName {
    /// Entries larger than this are not read: a directory answering megabytes for one user is
    /// broken, and the name PAM gave is kept.
    static let maximumEntryBytes = 1 << 20

    static func canonical(_ name: String) -> String {
        var capacity = 4096
        while capacity <= maximumEntryBytes {
            var entry = passwd()
            var found: UnsafeMutablePointer<passwd>?
            var buffer = [CChar](repeating: 0, count: capacity)
            let status = getpwnam_r(name, &entry, &buffer, capacity, &found)
            if status == ERANGE {
                capacity *= 2
                continue
            }
            guard status == 0, found != nil, let spelled = entry.pw_name else { return name }
            return String(cString: spelled)
        }
        return name
    }
}
