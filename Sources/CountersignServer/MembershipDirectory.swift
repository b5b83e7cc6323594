import CountersignCore

/// Answers "which groups is this user in?" from the policy in force (`groups.yaml`) and, when the
/// operator enables it, the system's group database. The union is used: a site can keep teams
/// in either place, and a name in both simply counts once.
struct MembershipDirectory: Sendable {
    let policies: PolicyHolder
    let useSystemGroups: Bool

    func groups(of user: Username) -> Set<String> {
        let fromPolicy = policies.current.policy.groups.groups(of: user)
        return useSystemGroups ? fromPolicy.union(SystemGroupLookup.groups(of: user)) : fromPolicy
    }

    func actor(_ user: Username) -> Actor {
        Actor(name: user, groups: groups(of: user))
    }
}
