import Foundation

/// The whole policy: rules in order, group membership, and which security keys may be enrolled.
/// The first rule whose kind and globs match a request decides it; a request no rule matches is
/// refused (deny by default).
public struct Policy: Hashable, Sendable {
    public let rules: [PolicyRule]
    /// Break-glass rules in order: the first covering a host and login decides.
    public let breakGlass: [BreakGlassRule]
    public let groups: GroupDirectory
    public let authenticators: AuthenticatorRequirement

    public init(
        rules: [PolicyRule], breakGlass: [BreakGlassRule] = [], groups: GroupDirectory, authenticators: AuthenticatorRequirement = .unrestricted
    ) throws(DomainError) {
        var names = Set<String>()
        for name in rules.map(\.name) + breakGlass.map(\.name) where !names.insert(name).inserted {
            throw DomainError(.invalidField, "rule name \(name) is used twice")
        }
        self.rules = rules
        self.breakGlass = breakGlass
        self.groups = groups
        self.authenticators = authenticators
    }

    public func rule(named name: String) -> PolicyRule? {
        rules.first { $0.name == name }
    }

    public func matchingRule(for target: RequestTarget) -> PolicyRule? {
        rules.first { $0.matches(target) }
    }

    /// Decides whether `requester` may file `draft`, and on which terms.
    public func admit(_ draft: RequestDraft, from requester: Actor) throws(DomainError) -> Admission {
        guard draft.target.kind != .breakGlass else {
            throw DomainError(.invalidField, "break-glass is not filed as a request: it is asked with `countersign break-glass` (POST /v1/break-glass)")
        }
        guard let rule = matchingRule(for: draft.target) else {
            throw DomainError(.noMatchingRule, "no policy rule matches this \(draft.target.kind) request (\(Self.describe(draft.target))); requests are denied by default")
        }
        let at = rule.source.map { " (\($0))" } ?? ""
        guard rule.allowsRequest(from: requester.groups) else {
            throw DomainError(.policyRefused, "rule \(rule.name)\(at): only members of \(rule.requesters.sorted().joined(separator: ", ")) may file these requests")
        }
        if FieldRules.readableLength(draft.reason) < rule.reasonRule.minimumLength {
            throw DomainError(.policyRefused, "rule \(rule.name)\(at): the reason must be at least \(rule.reasonRule.minimumLength) readable characters")
        }
        if let pattern = rule.reasonRule.ticketPattern, !pattern.matches(draft.ticket) {
            throw DomainError(.policyRefused, "rule \(rule.name)\(at): the ticket must match \(pattern.pattern)")
        }
        let accessSeconds: Int
        switch draft.target {
        case .ssh(let ssh):
            guard ssh.durationSeconds <= rule.maximumAccessSeconds else {
                throw DomainError(.policyRefused, "rule \(rule.name)\(at): access may last at most \(Self.describe(seconds: rule.maximumAccessSeconds))")
            }
            accessSeconds = ssh.durationSeconds
        case .deploy, .breakGlass:
            accessSeconds = rule.maximumAccessSeconds
        }
        return Admission(rule: rule, accessDurationSeconds: accessSeconds)
    }

    static func describe(_ target: RequestTarget) -> String {
        target.attributes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
    }

    static func describe(seconds: Int) -> String {
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}

/// The policy's yes to a draft: the rule that governs it and how long access would last.
public struct Admission: Hashable, Sendable {
    public let rule: PolicyRule
    public let accessDurationSeconds: Int

    /// Builds the request this admission allows, created now.
    public func request(id: RequestID, requester: Username, draft: RequestDraft, at now: Date) -> AccessRequest {
        AccessRequest(
            id: id, requester: requester, draft: draft, createdAt: now, ruleName: rule.name,
            requirement: rule.requirement, certificateTerms: rule.certificateTerms, singleUse: rule.singleUse,
            pendingExpiresAt: now.addingTimeInterval(TimeInterval(rule.pendingLifetimeSeconds)),
            accessDurationSeconds: accessDurationSeconds
        )
    }
}
