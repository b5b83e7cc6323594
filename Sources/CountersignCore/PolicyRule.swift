/// Where a rule was written, for file:line messages in lint, explain and refusals.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public let file: String
    public let line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { "\(file):\(line)" }
}

/// What a requester must write as justification.
public struct ReasonRule: Hashable, Sendable {
    public let minimumLength: Int
    public let ticketPattern: TicketPattern?

    public init(minimumLength: Int = 1, ticketPattern: TicketPattern? = nil) {
        self.minimumLength = minimumLength
        self.ticketPattern = ticketPattern
    }
}

/// One rule of policy-as-code: which requests it covers, who may ask, and what approval they need.
public struct PolicyRule: Hashable, Sendable {
    public let name: String
    public let kind: RequestKind
    /// Attribute name → glob. Every listed attribute must match; an unlisted one matches anything.
    public let match: [String: Glob]
    /// Groups whose members may file matching requests (`*` for anyone).
    public let requesters: Set<String>
    public let requirement: ApprovalRequirement
    public let pendingLifetimeSeconds: Int
    public let maximumAccessSeconds: Int
    public let reasonRule: ReasonRule
    /// What the certificates of its requests say; only SSH rules set anything but the standard.
    public let certificateTerms: CertificateTerms
    /// Where reviewers read a deploy's code; deploy rules only.
    public let repository: RepositoryLinks?
    /// Whether one approval covers one rollout only: the deploy gate's `--consume` spends it.
    /// Deploy rules only.
    public let singleUse: Bool
    /// Where its requests' everyday news goes: a new request for its reviewers, the decision, a
    /// revocation (`RequestNotices`). Channel names only; the gateway's configuration says where.
    public let notify: [ChannelName]
    public let source: SourceLocation?

    public static func attributeNames(for kind: RequestKind) -> Set<String> {
        switch kind {
        case .deploy: ["service", "environment"]
        case .ssh: ["host", "login"]
        // Break-glass rules are rules of their own (`BreakGlassRule`); no request rule matches a grant.
        case .breakGlass: []
        }
    }

    public init(
        name: String, kind: RequestKind, match: [String: Glob], requesters: Set<String>,
        requirement: ApprovalRequirement, pendingLifetimeSeconds: Int, maximumAccessSeconds: Int,
        reasonRule: ReasonRule, certificateTerms: CertificateTerms = .standard, repository: RepositoryLinks? = nil,
        singleUse: Bool = false, notify: [ChannelName] = [], source: SourceLocation? = nil
    ) throws(DomainError) {
        try FieldRules.checkName(name, field: "rule name")
        let unknown = Set(match.keys).subtracting(Self.attributeNames(for: kind))
        guard unknown.isEmpty else {
            throw DomainError(.invalidField, "rule \(name): \(kind) requests have no attribute \(unknown.sorted().joined(separator: ", "))")
        }
        var canonicalMatch: [String: Glob] = [:]
        for (attribute, glob) in match {
            let canonical = try Self.canonicalPattern(glob, for: attribute)
            if let reason = Self.whyNeverMatches(canonical, attribute: attribute) {
                throw DomainError(.invalidField, "rule \(name): match.\(attribute) '\(glob.pattern)' \(reason)")
            }
            canonicalMatch[attribute] = canonical
        }
        guard !requesters.isEmpty else {
            throw DomainError(.invalidField, "rule \(name): requesters must name at least one group (or '*')")
        }
        guard (60...30 * 24 * 3600).contains(pendingLifetimeSeconds) else {
            throw DomainError(.invalidField, "rule \(name): pending lifetime must be between 1 minute and 30 days")
        }
        guard (60...SSHTarget.maximumDurationSeconds).contains(maximumAccessSeconds) else {
            throw DomainError(.invalidField, "rule \(name): maximum access duration must be between 1 minute and 7 days")
        }
        guard (0...FieldRules.maximumReasonLength).contains(reasonRule.minimumLength) else {
            throw DomainError(.invalidField, "rule \(name): minimum reason length must be between 0 and \(FieldRules.maximumReasonLength)")
        }
        self.name = name
        self.kind = kind
        self.match = canonicalMatch
        self.requesters = requesters
        self.requirement = requirement
        self.pendingLifetimeSeconds = pendingLifetimeSeconds
        self.maximumAccessSeconds = maximumAccessSeconds
        guard kind == .ssh || certificateTerms == .standard else {
            throw DomainError(.invalidField, "rule \(name): only ssh rules yield certificates, so only they have certificate terms")
        }
        guard kind == .deploy || repository == nil else {
            throw DomainError(.invalidField, "rule \(name): only deploy rules ship code, so only they link to a repository")
        }
        guard kind == .deploy || !singleUse else {
            throw DomainError(.invalidField, "rule \(name): only deploy rules have rollouts, so only they can be single-use")
        }
        self.reasonRule = reasonRule
        self.certificateTerms = certificateTerms
        self.repository = repository
        guard Set(notify).count == notify.count else {
            throw DomainError(.invalidField, "rule \(name): notify names a channel twice")
        }
        self.singleUse = singleUse
        self.notify = notify
        self.source = source
    }

    /// A pattern in the spelling its attribute is compared in: host patterns fold to lower case
    /// as hosts do (`HostName`), so `DB-*` and `db-*` are one pattern.
    public static func canonicalPattern(_ glob: Glob, for attribute: String) throws(DomainError) -> Glob {
        guard attribute == "host" else { return glob }
        let folded = String(decoding: glob.pattern.utf8.map { (65...90).contains($0) ? $0 + 32 : $0 }, as: UTF8.self)
        return folded == glob.pattern ? glob : try Glob(folded)
    }

    /// Why a (canonical) pattern can never match a canonical value of its attribute, or nil. A
    /// rule that never matches lets its requests fall through to a later, perhaps weaker, rule:
    /// the policy fails to load instead.
    public static func whyNeverMatches(_ glob: Glob, attribute: String) -> String? {
        let isCanonical: (UInt8) -> Bool = switch attribute {
        case "host": HostName.isCanonicalByte
        case "login": FieldRules.isLoginByte
        default: FieldRules.isNameByte
        }
        for case .literal(let character) in glob.tokens where !character.utf8.allSatisfy(isCanonical) {
            return "can never match: no \(attribute) contains '\(character)' (\(attribute)s are \(Self.spelling(of: attribute)))"
        }
        if attribute == "host", glob.tokens.last == .literal(".") {
            return "can never match: hosts are compared without their trailing dot"
        }
        return nil
    }

    private static func spelling(of attribute: String) -> String {
        switch attribute {
        case "host": "lower-case letters, digits, '.' and '-'"
        case "login": "a-z, 0-9, '_' and '-'"
        default: "a-z, 0-9, '.', '_' and '-'"
        }
    }

    public func matches(_ target: RequestTarget) -> Bool {
        guard target.kind == kind else { return false }
        let attributes = target.attributes
        return match.allSatisfy { name, glob in attributes[name].map(glob.matches) ?? false }
    }

    public func allowsRequest(from groups: Set<String>) -> Bool {
        requesters.contains(WellKnownGroup.everyone) || !requesters.isDisjoint(with: groups)
    }
}
