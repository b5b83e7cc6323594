import CountersignCore
import Yams

/// A file of rules: request rules under `rules`, break-glass rules under `break_glass`
/// (`BreakGlassFile`), either or both:
///
/// ```yaml
/// rules:
///   - name: staging-deploy
///     kind: deploy
///     match: { environment: staging }
///     requesters: [engineering]
///     approvals:
///       - { count: 1, group: engineering }
/// ```
enum RuleFile {
    /// One item of a file's lists, in the order written.
    enum Item {
        case rule(Node)
        case breakGlass(Node)
    }

    static let sections = ["rules", "break_glass"]

    static let ruleKeys = [
        "name", "description", "kind", "match", "requesters", "approvals",
        "hardware_key", "pending_ttl", "max_duration", "reason", "certificate", "repository", "single_use", "notify",
    ]
    static let requiredRuleKeys = ["name", "kind", "requesters", "approvals"]

    static let defaultPendingSeconds = 24 * 3600
    static let defaultMaximumAccessSeconds = 3600
    /// The bounds `PolicyRule` enforces, checked here too so the error names the line of the value.
    static let pendingRange = 60...(30 * 24 * 3600)
    static let maximumAccessRange = 60...SSHTarget.maximumDurationSeconds
    static let reasonLengthRange = 0...1000

    /// The rule items of a file, before any is read: counted against the directory's bound first.
    static func items(_ root: Node, log: inout DiagnosticLog) -> [Item] {
        guard let top = log.fields(
            of: root, "a rules file", allowed: sections,
            hints: ["groups": "groups are defined in groups.yaml only", "authenticators": "authenticators are defined in authenticators.yaml only"]
        ) else { return [] }
        let written = sections.filter { top[$0] != nil }.sorted {
            (top.keyPosition($0).line, top.keyPosition($0).column) < (top.keyPosition($1).line, top.keyPosition($1).column)
        }
        if written.isEmpty {
            log.error(.missingKey, at: top.position, "a rules file needs 'rules' or 'break_glass'")
        }
        var items: [Item] = []
        for section in written {
            guard let node = top.present(section) else {
                log.error(.missingKey, at: top.keyPosition(section), "'\(section)' in a rules file has no value")
                continue
            }
            let nodes = log.list(node, section) ?? []
            items += nodes.map { section == "rules" ? .rule($0) : .breakGlass($0) }
        }
        return items
    }

    /// Reads one rule; nil (with diagnostics) when any part of it is wrong.
    static func parseRule(_ node: Node, log: inout DiagnosticLog) -> ParsedRule? {
        let errorsBefore = log.errorCount
        guard let fields = log.fields(of: node, "a rule", allowed: ruleKeys, required: requiredRuleKeys) else { return nil }

        let name = fields.present("name").flatMap { log.text($0, "name", maximumLength: 64) }
        if let name, !NameShape.isValid(name), let node = fields["name"] {
            log.error(.badValue, at: SourcePosition(of: node), "rule name '\(name)' must be \(NameShape.description)")
        }
        if let description = fields.present("description") {
            _ = log.text(description, "description", maximumLength: 1_000)
        }
        var kind: RequestKind?
        if let node = fields.present("kind"), let text = log.text(node, "kind") {
            kind = RequestKind(rawValue: text).flatMap { RequestKind.requestable.contains($0) ? $0 : nil }
            if kind == nil {
                log.error(.badValue, at: SourcePosition(of: node), "kind must be one of \(RequestKind.requestable.map(\.rawValue).joined(separator: ", ")), not '\(text)'\(text == RequestKind.breakGlass.rawValue ? " (break-glass rules go under break_glass:)" : "")")
            }
        }
        let match = fields.present("match").map { parseMatch($0, kind: kind, log: &log) } ?? [:]
        let requesters = fields.present("requesters").flatMap { parseRequesters($0, log: &log) }
        let clauses = fields.present("approvals").flatMap { parseApprovals($0, log: &log) }
        let hardwareKey = fields.present("hardware_key").map { log.boolean($0, "hardware_key") } ?? true
        let pending = fields.present("pending_ttl").map { log.duration($0, "pending_ttl", range: pendingRange) } ?? defaultPendingSeconds
        let maximumAccess = fields.present("max_duration").map { log.duration($0, "max_duration", range: maximumAccessRange) } ?? defaultMaximumAccessSeconds
        let reasonRule = fields.present("reason").map { parseReason($0, log: &log) } ?? ReasonRule()
        var certificateTerms: CertificateTerms? = .standard
        if let node = fields.present("certificate") {
            if let kind, kind != .ssh {
                log.error(.badValue, at: fields.keyPosition("certificate"), "only ssh rules yield certificates; \(kind.withArticle) rule has no certificate terms")
            }
            certificateTerms = parseCertificateTerms(node, log: &log)
        }
        var repository: RepositoryLinks?
        var repositoryRead = true
        if let node = fields.present("repository") {
            if let kind, kind != .deploy {
                log.error(.badValue, at: fields.keyPosition("repository"), "only deploy rules ship code; \(kind.withArticle) rule has no repository")
            }
            repository = parseRepository(node, log: &log)
            repositoryRead = repository != nil
        }
        var singleUse: Bool? = false
        if let node = fields.present("single_use") {
            if let kind, kind != .deploy {
                log.error(.badValue, at: fields.keyPosition("single_use"), "only deploy rules have rollouts; \(kind.withArticle) rule cannot be single-use")
            }
            singleUse = log.boolean(node, "single_use")
        }

        let notify = fields.present("notify").map { log.channels($0, "notify") } ?? []

        guard log.errorCount == errorsBefore, let name, let kind, let requesters, let clauses,
              let hardwareKey, let pending, let maximumAccess, let reasonRule, let certificateTerms, repositoryRead,
              let singleUse, let notify
        else { return nil }
        do {
            let requirement = try ApprovalRequirement(clauses: clauses.map(\.clause), hardwareKeyRequired: hardwareKey)
            let rule = try PolicyRule(
                name: name, kind: kind, match: match, requesters: Set(requesters.map(\.group)),
                requirement: requirement, pendingLifetimeSeconds: pending, maximumAccessSeconds: maximumAccess,
                reasonRule: reasonRule, certificateTerms: certificateTerms, repository: repository, singleUse: singleUse, notify: notify,
                source: SourceLocation(file: log.file, line: fields.position.line)
            )
            return ParsedRule(
                rule: rule, file: log.file, position: fields.position,
                requestersPosition: fields.keyPosition("requesters"), requesters: requesters,
                approvalsPosition: fields.keyPosition("approvals"),
                clauses: clauses.map { ParsedRule.GroupReference(group: $0.clause.group, position: $0.position) }
            )
        } catch {
            // The checks above mirror the core's; this is reached only if they drift apart.
            log.error(.badValue, at: fields.position, error.message)
            return nil
        }
    }

    private static func parseMatch(_ node: Node, kind: RequestKind?, log: inout DiagnosticLog) -> [String: Glob] {
        // With an unknown kind, any attribute is let through: the kind's own error says enough.
        let allowed = kind.map { PolicyRule.attributeNames(for: $0).sorted() }
            ?? RequestKind.requestable.flatMap { PolicyRule.attributeNames(for: $0) }.sorted()
        let what = kind.map { "the match of \($0.withArticle) rule" } ?? "a match"
        guard let fields = log.fields(of: node, what, allowed: allowed) else { return [:] }
        var globs: [String: Glob] = [:]
        for attribute in allowed {
            guard let value = fields[attribute] else { continue }
            globs[attribute] = parseGlob(value, attribute: attribute, log: &log)
        }
        return globs
    }

    /// One `match` pattern in its canonical spelling; nil (logged) when it is not a glob or can
    /// never match a canonical value, for then its requests would fall through to a later rule.
    static func parseGlob(_ value: Node, attribute: String, log: inout DiagnosticLog) -> Glob? {
        guard let pattern = log.text(value, "match.\(attribute)", maximumLength: Glob.maximumLength) else { return nil }
        do {
            let glob = try PolicyRule.canonicalPattern(try Glob(pattern), for: attribute)
            if let reason = PolicyRule.whyNeverMatches(glob, attribute: attribute) {
                log.error(.unmatchablePattern, at: SourcePosition(of: value), "match.\(attribute) '\(pattern)' \(reason)")
                return nil
            }
            return glob
        } catch {
            log.error(.badGlob, at: SourcePosition(of: value), "match.\(attribute): \(error.message)")
            return nil
        }
    }

    private static func parseRequesters(_ node: Node, log: inout DiagnosticLog) -> [ParsedRule.GroupReference]? {
        guard let entries = log.textList(node, "requesters") else { return nil }
        guard !entries.isEmpty else {
            log.error(.badValue, at: SourcePosition(of: node), "requesters must name at least one group, or \"*\" for anyone")
            return nil
        }
        var references: [ParsedRule.GroupReference] = []
        for (group, position) in entries {
            guard group == WellKnownGroup.everyone || NameShape.isValid(group) else {
                log.error(.badValue, at: position, "requester group '\(group)' must be \(NameShape.description), or \"*\" for anyone")
                continue
            }
            references.append(ParsedRule.GroupReference(group: group, position: position))
        }
        return references
    }

    private static func parseApprovals(_ node: Node, log: inout DiagnosticLog) -> [(clause: ApprovalClause, position: SourcePosition)]? {
        guard let items = log.list(node, "approvals") else { return nil }
        guard !items.isEmpty else {
            log.error(.badValue, at: SourcePosition(of: node), "approvals must hold at least one clause such as { count: 1, group: sre }")
            return nil
        }
        return items.compactMap { parseClause($0, "an approval clause", log: &log) }
    }

    /// `{ count: 1, group: sre }`, with the place of its group; `what` names it for messages.
    static func parseClause(_ item: Node, _ what: String, log: inout DiagnosticLog) -> (clause: ApprovalClause, position: SourcePosition)? {
        guard let fields = log.fields(of: item, what, allowed: ["count", "group"], required: ["count", "group"]),
              let countNode = fields.present("count"), let groupNode = fields.present("group"),
              let count = log.integer(countNode, "count", range: 1...ApprovalClause.maximumCount),
              let group = log.text(groupNode, "group", maximumLength: 64)
        else { return nil }
        if group == WellKnownGroup.everyone {
            log.error(.badValue, at: SourcePosition(of: groupNode), "\(what) comes from a named group; '*' is only for requesters")
            return nil
        }
        do {
            return (try ApprovalClause(count: count, group: group), SourcePosition(of: groupNode))
        } catch {
            log.error(.badValue, at: SourcePosition(of: groupNode), "group '\(group)' must be \(NameShape.description)")
            return nil
        }
    }

    /// `certificate: { lifetime: 30m, source_address: [10.20.0.0/16], force_command: …, permit: [port_forwarding], record: true, record_input: true }`
    private static func parseCertificateTerms(_ node: Node, log: inout DiagnosticLog) -> CertificateTerms? {
        let errorsBefore = log.errorCount
        guard let fields = log.fields(
            of: node, "the certificate terms", allowed: ["lifetime", "source_address", "force_command", "permit", "record", "record_input"]
        ) else { return nil }
        let lifetime = fields.present("lifetime").map { log.duration($0, "certificate.lifetime", range: CertificateTerms.lifetimeRange) }
            ?? CertificateTerms.defaultLifetimeSeconds
        var addresses: [AddressBlock] = []
        if let node = fields.present("source_address") {
            for (text, position) in log.textList(node, "certificate.source_address") ?? [] {
                do {
                    addresses.append(try AddressBlock(text))
                } catch {
                    log.error(.badValue, at: position, "certificate.source_address: \(error.message)")
                }
            }
        }
        var command: String?
        if let node = fields.present("force_command"),
           let text = log.text(node, "certificate.force_command", maximumLength: CertificateTerms.maximumCommandLength) {
            do {
                try CertificateTerms.checkForceCommand(text)
                command = text
            } catch {
                log.error(.badValue, at: SourcePosition(of: node), "certificate.\(error.message)")
            }
        }
        var forwarding: Set<CertificateTerms.Forwarding> = []
        if let node = fields.present("permit") {
            for (text, position) in log.textList(node, "certificate.permit") ?? [] {
                guard let permission = CertificateTerms.Forwarding(rawValue: text) else {
                    let allowed = CertificateTerms.Forwarding.allCases.map(\.rawValue).joined(separator: ", ")
                    log.error(.badValue, at: position, "certificate.permit: '\(text)' is not one of \(allowed) (a terminal is always permitted)")
                    continue
                }
                forwarding.insert(permission)
            }
        }
        let record = fields.present("record").map { log.boolean($0, "certificate.record") } ?? false
        let recordInput = fields.present("record_input").map { log.boolean($0, "certificate.record_input") } ?? false
        if recordInput == true, record == false {
            log.error(.badValue, at: fields.keyPosition("record_input"), "certificate.record_input needs record: true (input is recorded beside the output)")
        }
        guard log.errorCount == errorsBefore, let lifetime, let record, let recordInput else { return nil }
        let recording: CertificateTerms.Recording = record ? (recordInput ? .outputAndInput : .output) : .off
        do {
            return try CertificateTerms(lifetimeSeconds: lifetime, sourceAddresses: addresses, forceCommand: command, forwarding: forwarding, recording: recording)
        } catch {
            log.error(.badValue, at: fields.position, "certificate: \(error.message)")
            return nil
        }
    }

    /// `repository: { commit_url: "https://…/{service}/commit/{commit}", compare_url: "https://…/compare/{from}...{to}" }`
    private static func parseRepository(_ node: Node, log: inout DiagnosticLog) -> RepositoryLinks? {
        guard let fields = log.fields(of: node, "the repository links", allowed: ["commit_url", "compare_url"], required: ["commit_url"]),
              let commitNode = fields.present("commit_url"),
              let commit = log.text(commitNode, "repository.commit_url", maximumLength: RepositoryLinks.maximumTemplateLength)
        else { return nil }
        let compareNode = fields.present("compare_url")
        let compare = compareNode.flatMap { log.text($0, "repository.compare_url", maximumLength: RepositoryLinks.maximumTemplateLength) }
        if compareNode != nil, compare == nil { return nil }
        do {
            return try RepositoryLinks(commit: commit, compare: compare)
        } catch {
            log.error(.badValue, at: SourcePosition(of: error.message.hasPrefix("compare_url") ? compareNode ?? commitNode : commitNode), "repository.\(error.message)")
            return nil
        }
    }

    private static func parseReason(_ node: Node, log: inout DiagnosticLog) -> ReasonRule? {
        guard let fields = log.fields(of: node, "the reason rule", allowed: ["min_length", "ticket_pattern"]) else { return nil }
        let minimumLength = fields.present("min_length").map { log.integer($0, "min_length", range: reasonLengthRange) } ?? 1
        var pattern: TicketPattern?
        if let node = fields.present("ticket_pattern") {
            guard let text = log.text(node, "ticket_pattern", maximumLength: TicketPattern.maximumLength) else { return nil }
            do {
                pattern = try TicketPattern(text)
            } catch {
                log.error(.badTicketPattern, at: SourcePosition(of: node), error.message)
                return nil
            }
        }
        guard let minimumLength else { return nil }
        return ReasonRule(minimumLength: minimumLength, ticketPattern: pattern)
    }
}
