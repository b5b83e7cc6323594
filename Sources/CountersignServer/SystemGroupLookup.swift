#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CountersignCore

/// Group memberships from the system's group database (NSS: files, LDAP, sssd…), for sites that
/// manage teams there rather than in `groups.yaml`.
enum SystemGroupLookup {
    static func groups(of user: Username) -> Set<String> {
        // The reentrant forms: the plain ones share static buffers between threads.
        var passwd = passwd()
        var passwdBuffer = [CChar](repeating: 0, count: 16 * 1024)
        var passwdResult: UnsafeMutablePointer<passwd>?
        guard getpwnam_r(user.rawValue, &passwd, &passwdBuffer, passwdBuffer.count, &passwdResult) == 0, passwdResult != nil else {
            return []
        }
        let primary = passwd.pw_gid
        var count: Int32 = 64
        var ids = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(user.rawValue, primary, &ids, &count) == -1 {
            // The buffer was too small: `count` now holds the size needed.
            guard count > 0, count <= 65_536 else { return [] }
            ids = [gid_t](repeating: 0, count: Int(count))
            guard getgrouplist(user.rawValue, primary, &ids, &count) != -1 else { return [] }
        }
        return Set(ids.prefix(Int(count)).compactMap(groupName))
    }

    private static func groupName(_ id: gid_t) -> String? {
        var entry = group()
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        var result: UnsafeMutablePointer<group>?
        guard getgrgid_r(id, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.gr_name else { return nil }
        return String(validatingCString: name)
    }
}
