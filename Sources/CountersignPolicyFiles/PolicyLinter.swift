import CountersignCore
import Foundation

/// Checks that a policy means what it looks like it means, beyond what loading checks:
///
/// - `unknown_group` (error): a rule names a group groups.yaml does not define.
/// - `unsatisfiable` (error): the known members cannot meet a rule's approvals with distinct
///   people, as the core counts them (one person fills one seat, whatever their groups).
/// - `unapprovable_requester` (warning): someone may file under a rule, but once they are the
///   requester (who never approves their own request) nobody is left to approve it.
/// - `shadowed_rule` (warning): an earlier rule of the same kind matches every request a rule
///   would, so the later rule never decides anything.
///
/// Break-glass rules get the same checks in their own terms (`PolicyLinter+BreakGlass`): unknown
/// on-call, agreement and reviewer groups, an agreement nobody could give (`unsatisfiable`) or
/// that an on-call member could only give themselves (`unapprovable_requester`), an earlier
/// break-glass rule covering every host and login a later one would (`shadowed_rule`), and two
/// of their own: `empty_on_call` and `unreviewable` (warnings).
public enum PolicyLinter {
    /// Every problem in the directory: all of loading's diagnostics and the checks above, on
    /// whatever could be read. No error means `PolicyDirectory.load` succeeds and the checks pass.
    public static func lint(_ directory: URL) -> [PolicyDiagnostic] {
        let contents = PolicyDirectory.read(directory)
        return (contents.diagnostics + check(contents.rules, breakGlass: contents.breakGlass, groups: contents.groups)).sortedByPlace()
    }

    /// The load's warnings and the checks above, for a policy already loaded (the server can
    /// refuse a reload on any error here, as CI does with `countersign policy lint`).
    public static func lint(_ loaded: LoadedPolicy) -> [PolicyDiagnostic] {
        (loaded.warnings + check(loaded.rules, breakGlass: loaded.breakGlass, groups: loaded.groups)).sortedByPlace()
    }

    /// Group checks need a readable groups.yaml (`groups` nil otherwise): with a broken one,
    /// every group would look unknown and bury the real error.
    static func check(_ rules: [ParsedRule], breakGlass: [ParsedBreakGlassRule], groups: GroupsFile?) -> [PolicyDiagnostic] {
        var diagnostics: [PolicyDiagnostic] = []
        if let groups {
            for rule in rules {
                diagnostics += checkGroups(rule, groups: groups)
            }
            for rule in breakGlass {
                diagnostics += checkGroups(rule, groups: groups)
            }
        }
        diagnostics += checkShadowing(rules)
        diagnostics += checkShadowing(breakGlass)
        return diagnostics
    }

    private static func checkGroups(_ parsed: ParsedRule, groups: GroupsFile) -> [PolicyDiagnostic] {
        var log = DiagnosticLog(file: parsed.file)
        let known = groups.directory.groupNames
        let rule = parsed.rule
        for reference in parsed.requesters where reference.group != WellKnownGroup.everyone && !known.contains(reference.group) {
            log.error(.unknownGroup, at: reference.position, "rule \(rule.name): requester group '\(reference.group)' is not defined in \(GroupsFile.name)\(suggestion(reference.group, known))")
        }
        var approvalsUseUnknownGroups = false
        for reference in parsed.clauses where !known.contains(reference.group) {
            approvalsUseUnknownGroups = true
            log.error(.unknownGroup, at: reference.position, "rule \(rule.name): approval group '\(reference.group)' is not defined in \(GroupsFile.name)\(suggestion(reference.group, known))")
        }
        // An unknown group already says why the clause cannot be met.
        guard !approvalsUseUnknownGroups else { return log.entries }

        let everyone = groups.knownUsers.sorted()
        let best = assign(rule.requirement, approvers: everyone, groups: groups.directory)
        guard best.isSatisfied else {
            let index = best.clauses.firstIndex { !$0.isSatisfied } ?? 0
            let members = groups.directory.members(of: best.clauses[index].clause.group).sorted().map(\.rawValue)
            log.error(.unsatisfiable, at: parsed.clauses[index].position, "rule \(rule.name) can never be approved: counting each person once, everyone in \(GroupsFile.name) together reaches only \(best) (\(best.clauses[index].clause.group): \(members.isEmpty ? "no members" : members.joined(separator: ", ")))")
            return log.entries
        }

        let requesters = rule.requesters.contains(WellKnownGroup.everyone)
            ? everyone
            : Set(rule.requesters.flatMap { groups.directory.members(of: $0) }).sorted()
        let stranded = requesters.filter { requester in
            !assign(rule.requirement, approvers: everyone.filter { $0 != requester }, groups: groups.directory).isSatisfied
        }
        if !stranded.isEmpty {
            let names = stranded.map(\.rawValue).joined(separator: ", ")
            log.warning(.unapprovableRequester, at: parsed.requestersPosition, "rule \(rule.name): \(names) may file these requests, but nobody else could then approve them (the requester never approves their own request)")
        }
        return log.entries
    }

    /// The best the given people could do under `requirement`, each approving once.
    private static func assign(_ requirement: ApprovalRequirement, approvers: [Username], groups: GroupDirectory) -> ClauseAssignment {
        let epoch = Date(timeIntervalSince1970: 0)
        return requirement.assign(approvers.map { Approval(approver: $0, groups: groups.groups(of: $0), at: epoch, method: .session) })
    }

    static func suggestion(_ group: String, _ known: Set<String>) -> String {
        KeySuggestion.closest(to: group, among: known.sorted()).map { "; did you mean '\($0)'?" } ?? ""
    }

    private static func checkShadowing(_ rules: [ParsedRule]) -> [PolicyDiagnostic] {
        var diagnostics: [PolicyDiagnostic] = []
        for (index, later) in rules.enumerated() {
            guard let earlier = rules[..<index].first(where: { covers($0.rule, later.rule) }) else { continue }
            var log = DiagnosticLog(file: later.file)
            log.warning(.shadowedRule, at: later.position, "rule \(later.rule.name) never decides anything: rule \(earlier.rule.name) at \(earlier.location) comes first and matches every request it would (the first matching rule decides); move it above, or narrow the earlier rule")
            diagnostics += log.entries
        }
        return diagnostics
    }

    /// Whether every request `later` matches is matched by `earlier`. Sound but not complete:
    /// each of `earlier`'s globs must be `*`, be the very same pattern as `later`'s for that
    /// attribute, or match `later`'s pattern when that pattern is a single literal value.
    static func covers(_ earlier: PolicyRule, _ later: PolicyRule) -> Bool {
        guard earlier.kind == later.kind else { return false }
        return earlier.match.allSatisfy { attribute, glob in covers(glob, later.match[attribute]) }
    }

    /// Whether `glob` matches every value `other` does (nil: any value), by the same sound test.
    static func covers(_ glob: Glob, _ other: Glob?) -> Bool {
        if glob.pattern.allSatisfy({ $0 == "*" }) { return true }
        guard let other else { return false }
        return other.pattern == glob.pattern || (other.isLiteral && glob.matches(other.pattern))
    }
}
