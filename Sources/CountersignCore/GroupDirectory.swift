/// Who is in which group. Built by the edge from the policies' groups file and, when enabled,
/// the system's group database; the rules only ever ask it questions.
public struct GroupDirectory: Hashable, Sendable {
    public private(set) var members: [String: Set<Username>]

    public init(members: [String: Set<Username>] = [:]) {
        self.members = members
    }

    public var groupNames: Set<String> { Set(members.keys) }

    public func groups(of user: Username) -> Set<String> {
        Set(members.compactMap { group, names in names.contains(user) ? group : nil })
    }

    public func members(of group: String) -> Set<Username> {
        members[group] ?? []
    }

    /// Adds memberships learnt elsewhere (the system's group database) to those of the file.
    public func adding(_ groups: Set<String>, for user: Username) -> GroupDirectory {
        var copy = self
        for group in groups {
            copy.members[group, default: []].insert(user)
        }
        return copy
    }
}

/// Groups with meaning to the gateway itself rather than to a policy rule.
public enum WellKnownGroup {
    /// May read and export the audit log.
    public static let auditors = "auditors"
    /// May revoke any approved request, issue invites and take backups.
    public static let admins = "admins"
    /// In a rule's `requesters`, anyone who can log in.
    public static let everyone = "*"
}
