import CountersignCore
import Yams

/// groups.yaml: who is in which group.
///
/// ```yaml
/// groups:
///   sre: [carol, dave]
///   payments: [alice, bob]
/// ```
struct GroupsFile: Sendable {
    static let name = "groups.yaml"

    var directory = GroupDirectory()
    /// Where each group is defined, for messages.
    var definitions: [String: SourcePosition] = [:]

    /// Everyone the file names, in any group.
    var knownUsers: Set<Username> {
        directory.members.values.reduce(into: Set()) { $0.formUnion($1) }
    }

    static func parse(_ root: Node, log: inout DiagnosticLog) -> GroupsFile {
        var file = GroupsFile()
        guard let top = log.fields(
            of: root, "groups.yaml", allowed: ["groups"], required: ["groups"],
            hints: ["rules": "rules belong in their own files (deploy.yaml, ssh.yaml); groups.yaml holds only groups"]
        ), let groupsNode = top.present("groups") else { return file }
        guard case .mapping(let groups) = groupsNode else {
            log.error(.badValue, at: SourcePosition(of: groupsNode), "'groups' must map each group name to a list of usernames, not \(groupsNode.summary)")
            return file
        }
        var members: [String: Set<Username>] = [:]
        for (key, value) in groups {
            guard let group = log.text(key, "a group name", maximumLength: 64) else { continue }
            guard group != WellKnownGroup.everyone else {
                log.error(.badValue, at: SourcePosition(of: key), "'*' means anyone in a rule's requesters and cannot be defined as a group")
                continue
            }
            guard NameShape.isValid(group) else {
                log.error(.badValue, at: SourcePosition(of: key), "group name '\(group)' must be \(NameShape.description)")
                continue
            }
            file.definitions[group] = SourcePosition(of: key)
            var names = Set<Username>()
            // `auditors:` with nothing after it is an empty group, as `auditors: []` is.
            let entries = value.isNull ? [] : (log.textList(value, "group \(group)") ?? [])
            for (text, position) in entries {
                guard let user = try? Username(text) else {
                    log.error(.badValue, at: position, "'\(text)' in group \(group) is not a valid username: 1 to \(Username.maximumLength) characters of a-z, A-Z, 0-9, '.', '_' or '-', not starting with '-'")
                    continue
                }
                if !names.insert(user).inserted {
                    log.warning(.badValue, at: position, "\(user) is listed twice in group \(group)")
                }
            }
            members[group] = names
        }
        file.directory = GroupDirectory(members: members)
        return file
    }
}
