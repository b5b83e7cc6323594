import CountersignCore

/// Lint of break-glass rules: what a rule's groups can do with the members groups.yaml gives
/// them. A grant's user never agrees to, nor reviews, their own grant, so each check asks what
/// is left once that user is set aside.
extension PolicyLinter {
    static func checkGroups(_ parsed: ParsedBreakGlassRule, groups: GroupsFile) -> [PolicyDiagnostic] {
        var log = DiagnosticLog(file: parsed.file)
        let directory = groups.directory
        let known = directory.groupNames
        let rule = parsed.rule
        let references = parsed.onCall.map { ("on-call", $0) } + (parsed.agreement.map { [("agreement", $0)] } ?? [])
            + parsed.reviewers.map { ("reviewer", $0) }
        var usesUnknownGroups = false
        for (role, reference) in references where !known.contains(reference.group) {
            usesUnknownGroups = true
            log.error(.unknownGroup, at: reference.position, "break-glass rule \(rule.name): \(role) group '\(reference.group)' is not defined in \(GroupsFile.name)\(suggestion(reference.group, known))")
        }
        // An unknown group already says why the rule cannot work as written.
        guard !usesUnknownGroups else { return log.entries }

        for reference in parsed.onCall where directory.members(of: reference.group).isEmpty {
            log.warning(.emptyOnCall, at: reference.position, "break-glass rule \(rule.name): on-call group '\(reference.group)' has no members in \(GroupsFile.name), so nobody in it can break glass")
        }
        let onCall = Set(rule.onCall.flatMap { directory.members(of: $0) }).sorted()

        if let agreement = rule.agreement, let reference = parsed.agreement {
            let agreeing = directory.members(of: agreement.group)
            if agreeing.count < agreement.count {
                let members = agreeing.sorted().map(\.rawValue)
                log.error(.unsatisfiable, at: reference.position, "break-glass rule \(rule.name): its agreement of \(agreement) can never be given (\(agreement.group): \(members.isEmpty ? "no members" : members.joined(separator: ", ")))")
            } else {
                let stranded = onCall.filter { agreeing.subtracting([$0]).count < agreement.count }
                if !stranded.isEmpty {
                    log.warning(.unapprovableRequester, at: parsed.onCallPosition, "break-glass rule \(rule.name): \(names(stranded)) may break glass here, but nobody else could then give its agreement of \(agreement) (a user never agrees to their own grant)")
                }
            }
        }

        let reviewing = Set(rule.reviewers.flatMap { directory.members(of: $0) })
        let reviewers = rule.reviewers.sorted().joined(separator: ", ") + (parsed.reviewers.isEmpty ? " (the default reviewers)" : "")
        if reviewing.isEmpty {
            log.warning(.unreviewable, at: parsed.reviewersPosition, "break-glass rule \(rule.name): nobody can review its grants: \(reviewers) \(rule.reviewers.count == 1 ? "has" : "have") no members in \(GroupsFile.name)")
        } else {
            let stranded = onCall.filter { reviewing.subtracting([$0]).isEmpty }
            if !stranded.isEmpty {
                log.warning(.unreviewable, at: parsed.reviewersPosition, "break-glass rule \(rule.name): \(names(stranded)) may break glass here, but nobody else in \(reviewers) could review the grant (a grant is never reviewed by its own user)")
            }
        }
        return log.entries
    }

    /// The first break-glass rule covering a host and login decides, as for request rules.
    static func checkShadowing(_ rules: [ParsedBreakGlassRule]) -> [PolicyDiagnostic] {
        var diagnostics: [PolicyDiagnostic] = []
        for (index, later) in rules.enumerated() {
            guard let earlier = rules[..<index].first(where: { covers($0.rule.host, later.rule.host) && covers($0.rule.login, later.rule.login) }) else { continue }
            var log = DiagnosticLog(file: later.file)
            log.warning(.shadowedRule, at: later.position, "break-glass rule \(later.rule.name) never decides anything: break-glass rule \(earlier.rule.name) at \(earlier.location) comes first and covers every host and login it would (the first covering rule decides); move it above, or narrow the earlier rule")
            diagnostics += log.entries
        }
        return diagnostics
    }

    private static func names(_ users: [Username]) -> String {
        users.map(\.rawValue).joined(separator: ", ")
    }
}
