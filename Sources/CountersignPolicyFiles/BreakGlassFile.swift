import CountersignCore
import Yams

/// The `break_glass:` list of a rules file: where an on-call engineer may get in at once during
/// an incident, and on which terms (`BreakGlassRule`):
///
/// ```yaml
/// break_glass:
///   - name: database-break-glass
///     match: { host: "db-*.prod.internal", login: postgres }
///     on_call: [sre]
///     max_duration: 15m
///     incident_pattern: "^INC-[0-9]+$"
///     agreement: { count: 1, group: sre }
///     key_touch: always
///     page: [oncall-pagerduty, security-slack]
///     review_within: 24h
///     reviewers: [auditors]
/// ```
enum BreakGlassFile {
    static let ruleKeys = [
        "name", "description", "match", "on_call", "max_duration", "incident_pattern",
        "agreement", "key_touch", "page", "review_within", "reviewers",
    ]
    static let requiredRuleKeys = ["name", "match", "on_call", "incident_pattern", "page"]
    /// A request rule's keys, written in a break-glass rule, say what the author probably meant.
    static let hints = [
        "kind": "a break-glass rule has no kind: it always grants SSH access, and is listed under break_glass for that",
        "requesters": "who may break glass is 'on_call'",
        "approvals": "break-glass waits for no approval; a second person's agreement is 'agreement: { count: 1, group: … }'",
        "hardware_key": "the user's own key touch is 'key_touch: when_enrolled | always | never'",
        "reason": "the incident reference is checked by 'incident_pattern'",
        "certificate": "every break-glass session is recorded with its input; that is not a term a rule sets",
        "channels": "the channels paged are 'page'",
    ]
    static let durationRange = 60...BreakGlassRule.longestDurationSeconds
    /// The bounds `BreakGlassRule` enforces, checked here too so the error names the line of the value.
    static let reviewWindowRange = 3600...(30 * 24 * 3600)

    /// Reads one break-glass rule; nil (with diagnostics) when any part of it is wrong.
    static func parseRule(_ node: Node, log: inout DiagnosticLog) -> ParsedBreakGlassRule? {
        let errorsBefore = log.errorCount
        guard let fields = log.fields(of: node, "a break-glass rule", allowed: ruleKeys, required: requiredRuleKeys, hints: hints) else { return nil }

        let name = fields.present("name").flatMap { log.text($0, "name", maximumLength: 64) }
        if let name, !NameShape.isValid(name), let node = fields["name"] {
            log.error(.badValue, at: SourcePosition(of: node), "rule name '\(name)' must be \(NameShape.description)")
        }
        if let description = fields.present("description") {
            _ = log.text(description, "description", maximumLength: 1_000)
        }
        let target = fields.present("match").flatMap { parseMatch($0, log: &log) }
        let onCall = fields.present("on_call").flatMap { parseGroups($0, "on_call", purpose: "the groups whose members may break glass here", log: &log) }
        let duration = fields.present("max_duration").map { log.duration($0, "max_duration", range: durationRange) }
            ?? BreakGlassRule.defaultDurationSeconds
        let incidentPattern = fields.present("incident_pattern").flatMap { parseIncidentPattern($0, log: &log) }
        let agreement = fields.present("agreement").map { RuleFile.parseClause($0, "the agreement", log: &log) }
        let keyTouch = fields.present("key_touch").map { parseKeyTouch($0, log: &log) } ?? .whenEnrolled
        let channels = fields.present("page").flatMap { parseChannels($0, log: &log) }
        let reviewWindow = fields.present("review_within").map { log.duration($0, "review_within", range: reviewWindowRange) }
            ?? BreakGlassRule.defaultReviewWindowSeconds
        let reviewers = fields.present("reviewers").map { parseGroups($0, "reviewers", purpose: "the groups whose members review its grants", log: &log) }
            ?? []

        guard log.errorCount == errorsBefore, let name, let target, let onCall, let duration, let incidentPattern,
              let keyTouch, let channels, let reviewWindow, let reviewers
        else { return nil }
        let clause: (clause: ApprovalClause, position: SourcePosition)?
        switch agreement {
        case .none: clause = nil
        case .some(.none): return nil
        case .some(.some(let parsed)): clause = parsed
        }
        do {
            let rule = try BreakGlassRule(
                name: name, host: target.host, login: target.login, onCall: Set(onCall.map(\.group)), maximumDurationSeconds: duration,
                incidentPattern: incidentPattern, agreement: clause?.clause, keyTouch: keyTouch, channels: channels,
                reviewWindowSeconds: reviewWindow, reviewers: reviewers.isEmpty ? BreakGlassReviewRules.defaultReviewers : Set(reviewers.map(\.group)),
                source: SourceLocation(file: log.file, line: fields.position.line)
            )
            return ParsedBreakGlassRule(
                rule: rule, file: log.file, position: fields.position,
                onCallPosition: fields.keyPosition("on_call"), onCall: onCall,
                agreement: clause.map { ParsedRule.GroupReference(group: $0.clause.group, position: $0.position) },
                reviewersPosition: fields.keyPosition("reviewers"), reviewers: reviewers
            )
        } catch {
            // The checks above mirror the core's; this is reached only if they drift apart.
            log.error(.badValue, at: fields.position, error.message)
            return nil
        }
    }

    /// `match: { host: "db-*.prod.internal", login: postgres }`. Both are required: a rule that
    /// opens every host or every login says so with "*", never by leaving a key out.
    private static func parseMatch(_ node: Node, log: inout DiagnosticLog) -> (host: Glob, login: Glob)? {
        guard let fields = log.fields(of: node, "the match of a break-glass rule", allowed: ["host", "login"], required: ["host", "login"]),
              let hostNode = fields.present("host"), let loginNode = fields.present("login")
        else { return nil }
        let host = RuleFile.parseGlob(hostNode, attribute: "host", log: &log)
        let login = RuleFile.parseGlob(loginNode, attribute: "login", log: &log)
        guard let host, let login else { return nil }
        return (host, login)
    }

    /// Named groups only: break-glass is for people the policy names, and '*' would open it to anyone.
    private static func parseGroups(_ node: Node, _ field: String, purpose: String, log: inout DiagnosticLog) -> [ParsedRule.GroupReference]? {
        guard let entries = log.textList(node, field) else { return nil }
        guard !entries.isEmpty else {
            log.error(.badValue, at: SourcePosition(of: node), "\(field) must name at least one group: \(purpose)")
            return nil
        }
        var references: [ParsedRule.GroupReference] = []
        for (group, position) in entries {
            if group == WellKnownGroup.everyone {
                log.error(.badValue, at: position, "\(field) names \(purpose); '*' (anyone) is not allowed here")
            } else if !NameShape.isValid(group) {
                log.error(.badValue, at: position, "\(field) group '\(group)' must be \(NameShape.description)")
            } else {
                references.append(ParsedRule.GroupReference(group: group, position: position))
            }
        }
        return references
    }

    private static func parseIncidentPattern(_ node: Node, log: inout DiagnosticLog) -> TicketPattern? {
        guard let text = log.text(node, "incident_pattern", maximumLength: TicketPattern.maximumLength) else { return nil }
        do {
            return try TicketPattern(text)
        } catch {
            log.error(.badTicketPattern, at: SourcePosition(of: node), "incident_pattern: \(error.message)")
            return nil
        }
    }

    private static func parseKeyTouch(_ node: Node, log: inout DiagnosticLog) -> BreakGlassRule.KeyTouch? {
        guard let text = log.text(node, "key_touch") else { return nil }
        guard let keyTouch = BreakGlassRule.KeyTouch(rawValue: text) else {
            log.error(.badValue, at: SourcePosition(of: node), "key_touch must be one of \(BreakGlassRule.KeyTouch.allCases.map(\.rawValue).joined(separator: ", ")), not '\(text)'")
            return nil
        }
        return keyTouch
    }

    private static func parseChannels(_ node: Node, log: inout DiagnosticLog) -> [ChannelName]? {
        log.channels(node, "page", emptyRefusal: "page must name at least one channel: break-glass is never silent")
    }
}
