import Foundation

/// The rules of breaking glass, stated once: whether an ask is allowed and on which terms, and
/// what it pages. Pure; the edge verifies the key touch and the store commits the grant with its
/// pages in one unit of work.
public enum BreakGlassRules {
    /// The policy's yes to an ask.
    public struct Admission: Hashable, Sendable {
        public let rule: BreakGlassRule
        public let durationSeconds: Int
        public let expiresAt: Date
        /// Who else must agree before the grant is active; nil when it is active at once.
        public let agreement: ApprovalClause?
        /// The user proved themselves with their own key, not only their password.
        public let keyTouched: Bool
        /// The user had no session: their key alone proved who they are (`keyAlone()`).
        public let sessionless: Bool

        /// This admission for a user who asked without a session, proving who they are with
        /// their enrolled key alone (PAM's back end may be down in the incident): only a touch
        /// over the ask proves that, whatever the rule's `key_touch`.
        public func keyAlone() throws(BreakGlassRefusal) -> Admission {
            guard keyTouched else {
                throw BreakGlassRefusal(.keyTouchRequired, "without a session, only a touch of your own enrolled key over this ask says who you are", rule: rule)
            }
            return Admission(rule: rule, durationSeconds: durationSeconds, expiresAt: expiresAt, agreement: agreement, keyTouched: true, sessionless: true)
        }
    }

    /// Whether the rule deciding `ask` wants a touch of the user's own key over it: what a key
    /// challenge tells the CLI, so that it asks for no touch the rule does not want. With no rule
    /// covering the ask, yes: the ask itself is refused, touched or not.
    public static func touchWanted(for ask: BreakGlassAsk, under rules: [BreakGlassRule], hasUsableKey: Bool) -> Bool {
        guard let rule = decidingRule(for: ask, under: rules) else { return true }
        return touchWanted(by: rule, hasUsableKey: hasUsableKey)
    }

    /// The first rule covering the ask's host and login: the one that decides it.
    static func decidingRule(for ask: BreakGlassAsk, under rules: [BreakGlassRule]) -> BreakGlassRule? {
        rules.first { $0.covers(host: ask.host, login: ask.login) }
    }

    static func touchWanted(by rule: BreakGlassRule, hasUsableKey: Bool) -> Bool {
        switch rule.keyTouch {
        case .always: true
        case .whenEnrolled: hasUsableKey
        case .never: false
        }
    }

    /// Decides `ask` by `actor` under `rules` (the first rule covering the host and login
    /// decides), at `now`. `hasUsableKey`: the user has an enrolled key they could touch;
    /// `keyTouched`: they did, over this ask (verified at the edge).
    public static func admit(
        _ ask: BreakGlassAsk, by actor: Actor, under rules: [BreakGlassRule], hasUsableKey: Bool, keyTouched: Bool, at now: Date
    ) throws(BreakGlassRefusal) -> Admission {
        guard let rule = decidingRule(for: ask, under: rules) else {
            throw BreakGlassRefusal(.noRule, "no break-glass rule covers \(ask.login)@\(ask.host)", rule: nil)
        }
        guard !rule.onCall.isDisjoint(with: actor.groups) else {
            throw BreakGlassRefusal(.notOnCall, "\(rule.located): only members of \(rule.onCall.sorted().joined(separator: ", ")) may break glass here", rule: rule)
        }
        guard rule.incidentPattern.matches(ask.incident) else {
            throw BreakGlassRefusal(.incidentMismatch, "\(rule.located): the incident must match \(rule.incidentPattern.pattern)", rule: rule)
        }
        let duration = ask.durationSeconds ?? rule.maximumDurationSeconds
        guard duration <= rule.maximumDurationSeconds else {
            throw BreakGlassRefusal(.tooLong, "\(rule.located): break-glass lasts at most \(Policy.describe(seconds: rule.maximumDurationSeconds))", rule: rule)
        }
        if touchWanted(by: rule, hasUsableKey: hasUsableKey), !keyTouched {
            let why = rule.keyTouch == .always ? "this rule always takes a touch of your own enrolled key" : "you have an enrolled key: touch it to break glass"
            throw BreakGlassRefusal(.keyTouchRequired, "\(rule.located): \(why)", rule: rule)
        }
        return Admission(
            rule: rule, durationSeconds: duration, expiresAt: now.addingTimeInterval(TimeInterval(duration)), agreement: rule.agreement,
            keyTouched: keyTouched, sessionless: false
        )
    }

    /// How long a grant that needs someone else's agreement waits for it before it lapses: in an
    /// incident the second person is at hand or the grant is of no use.
    public static let agreementWindowSeconds = 15 * 60

    /// The unit of work of breaking glass: the grant (a `break_glass` request, active at once, or
    /// pending until its agreement), its events, and its pages on every channel of its rule, so
    /// that no grant is ever committed without the pages that make it loud. `id` and `link` come
    /// from the edge; `source` names the gateway.
    public static func grant(
        _ ask: BreakGlassAsk, _ admission: Admission, id: RequestID, to user: Username, link: URL?, source: String, at now: Date
    ) throws(DomainError) -> RequestChange {
        let rule = admission.rule
        let target = try SSHTarget(host: ask.host, login: ask.login, durationSeconds: admission.durationSeconds)
        let draft = try RequestDraft(target: .breakGlass(target), reason: ask.reason, ticket: ask.incident)
        let requirement = try admission.agreement.map { clause throws(DomainError) in
            try ApprovalRequirement(clauses: [clause], hardwareKeyRequired: rule.keyTouch != .never)
        } ?? .noneNeeded
        // A certificate lives no longer than the grant; the recorder is its forced command, and
        // it records what was typed.
        let terms = try CertificateTerms(lifetimeSeconds: admission.durationSeconds, recording: .outputAndInput)
        var grant = AccessRequest(
            id: id, requester: user, draft: draft, createdAt: now, ruleName: rule.name, requirement: requirement, certificateTerms: terms,
            pendingExpiresAt: now.addingTimeInterval(TimeInterval(admission.agreement == nil ? 0 : agreementWindowSeconds)),
            accessDurationSeconds: admission.durationSeconds, breakGlassTerms: BreakGlassTerms(rule: rule, keyTouched: admission.keyTouched)
        )
        var events = [RequestRules.creationEvent(for: grant)]
        if admission.agreement == nil {
            grant.state = .approved
            grant.accessExpiresAt = now.addingTimeInterval(TimeInterval(admission.durationSeconds)).truncatedToMilliseconds
        }
        events.append(RequestRules.event(.breakGlassGranted, grant, actor: user.rawValue, at: now, [
            "rule": rule.name, "incident": ask.incident, "key_touched": String(admission.keyTouched), "proof": admission.sessionless ? "key_alone" : "session",
            "state": grant.state.rawValue, "channels": rule.channels.map(\.rawValue).joined(separator: ","),
            "access_expires_at": grant.accessExpiresAt.map { String($0.millisecondsSinceEpoch) } ?? "",
            "awaits_agreement": admission.agreement.map(\.description) ?? "",
        ]))
        let pages = try pages(for: grant, link: link, source: source, at: now)
        return RequestChange(request: grant, events: events, notifications: pages)
    }

    /// Ends a grant before its time: its user, an admin or one of its reviewers may (a grant that
    /// still waits on its agreement is cancelled). The resolve of its pages commits with it; the
    /// store's revocation list names its certificates from then on.
    public static func end(_ grant: AccessRequest, by actor: Actor, reason: String, link: URL?, source: String, at now: Date) throws(DomainError) -> RequestChange {
        let terms = try requireGrant(grant)
        guard closer(actor, of: grant) != nil else {
            throw DomainError(.forbidden, "a break-glass grant is ended by its user, an admin or one of its reviewers (\(terms.reviewers.sorted().joined(separator: ", ")))")
        }
        return try close(grant, actor: actor.name.rawValue, closedBy: actor.name, reason: reason, link: link, source: source, at: now)
    }

    /// In which capacity someone may end a grant early, as its page says who ended it.
    public enum Closer: String, Hashable, Sendable {
        case user, admin, reviewer
    }

    /// In which capacity `actor` may end `grant`, or nil when they may not: its user first (their
    /// own grant is theirs to end whatever else they are), then an admin, then one of its reviewers.
    public static func closer(_ actor: Actor, of grant: AccessRequest) -> Closer? {
        guard let terms = grant.breakGlassTerms else { return nil }
        if actor.name == grant.requester { return .user }
        if actor.groups.contains(WellKnownGroup.admins) { return .admin }
        return terms.reviewers.isDisjoint(with: actor.groups) ? nil : .reviewer
    }

    /// Whether a grant can still be ended: waiting on its agreement or active, and not past the
    /// deadline at which it ends by itself.
    public static func isOpen(_ grant: AccessRequest, at now: Date) -> Bool {
        (grant.state == .approved || grant.state == .pending) && !RequestRules.isDueToExpire(grant, at: now)
    }

    /// Ends a grant because the paging service resolved its incident (`incident` names the
    /// service's event, for the audit row).
    public static func endByIncident(_ grant: AccessRequest, incident: String, link: URL?, source: String, at now: Date) throws(DomainError) -> RequestChange {
        _ = try requireGrant(grant)
        return try close(grant, actor: incidentActor, closedBy: nil, reason: "incident \(incident) resolved", link: link, source: source, at: now)
    }

    /// The audit actor of a grant ended by its incident's resolution.
    public static let incidentActor = "paging-service"

    /// What a grant's expiry announces: the resolve of its pages. Any other request's, nothing.
    public static func expiryNotices(for change: RequestChange, link: URL?, source: String, at now: Date) throws(DomainError) -> [OutboxMessage] {
        guard change.request.kind == .breakGlass, change.request.state == .expired else { return [] }
        return try resolves(for: change.request, endedBy: "expiry", link: link, source: source, at: now)
    }

    private static func close(
        _ grant: AccessRequest, actor: String, closedBy: Username?, reason: String, link: URL?, source: String, at now: Date
    ) throws(DomainError) -> RequestChange {
        try FieldRules.checkReason(reason)
        var next = grant
        switch grant.state {
        case .approved: next.state = .revoked
        case .pending: next.state = .cancelled
        case .denied, .cancelled, .expired, .revoked:
            throw DomainError(.invalidState, "break-glass grant \(grant.id) is \(grant.state) and can no longer be ended")
        }
        guard !RequestRules.isDueToExpire(grant, at: now) else {
            throw DomainError(.requestExpired, "break-glass grant \(grant.id) has expired")
        }
        next.updatedAt = now.truncatedToMilliseconds
        next.closedBy = closedBy
        next.closeReason = reason
        let action: AuditAction = next.state == .revoked ? .requestRevoked : .requestCancelled
        let endedBy = closedBy?.rawValue ?? actor
        return RequestChange(
            request: next,
            events: [
                RequestRules.event(action, next, actor: actor, at: now, ["reason": reason]),
                RequestRules.event(.breakGlassEnded, next, actor: actor, at: now, ["reason": reason, "was": grant.state.rawValue]),
            ],
            notifications: try resolves(for: next, endedBy: endedBy, link: link, source: source, at: now)
        )
    }

    static func requireGrant(_ request: AccessRequest) throws(DomainError) -> BreakGlassTerms {
        guard request.kind == .breakGlass, let terms = request.breakGlassTerms else {
            throw DomainError(.invalidState, "request \(request.id) is not a break-glass grant")
        }
        return terms
    }

    public static let eventClass = "break-glass"

    /// What a page says about a grant: who, where, which incident, why, until when, and its page.
    static func details(of grant: AccessRequest, link: URL?) -> [String: String] {
        let target = grant.target.sshTarget
        let expiry = grant.accessExpiresAt ?? grant.createdAt.addingTimeInterval(TimeInterval(grant.accessDurationSeconds))
        return [
            "grant": grant.id.rawValue, "user": grant.requester.rawValue, "host": target?.host ?? "", "login": target?.login ?? "",
            "incident": grant.ticket, "reason": String(grant.reason.prefix(Notice.maximumDetailLength)),
            "expires_at": ISO8601DateFormatter().string(from: expiry), "state": grant.state.rawValue,
            "key_touched": String(grant.breakGlassTerms?.keyTouched ?? false),
            "link": String((link?.absoluteString ?? "").prefix(Notice.maximumDetailLength)),
        ]
    }

    static func headline(of grant: AccessRequest) -> String {
        let target = grant.target.sshTarget
        return "\(grant.requester) on \(target?.login ?? "")@\(target?.host ?? "") for \(grant.ticket)"
    }

    /// The grant's trigger on each of its channels, deduplicated by the grant's id, so that the
    /// resolve that ends it closes the same incident.
    public static func pages(for grant: AccessRequest, link: URL?, source: String, at now: Date) throws(DomainError) -> [OutboxMessage] {
        let terms = try requireGrant(grant)
        let waiting = grant.state == .pending ? " (awaiting agreement)" : ""
        return try notice(
            .trigger, dedupKey: grant.id.rawValue, summary: "BREAK-GLASS\(waiting): \(headline(of: grant))", severity: .critical,
            grant: grant, details: details(of: grant, link: link), link: link, source: source, at: now
        ).messages(on: terms.channels, at: now)
    }

    /// The resolve of a grant's pages when it ends, saying who or what ended it.
    public static func resolves(for grant: AccessRequest, endedBy: String, link: URL?, source: String, at now: Date) throws(DomainError) -> [OutboxMessage] {
        let terms = try requireGrant(grant)
        var details = details(of: grant, link: link)
        details["ended_by"] = String(endedBy.prefix(Notice.maximumDetailLength))
        return try notice(
            .resolve, dedupKey: grant.id.rawValue, summary: "Break-glass ended: \(headline(of: grant)), by \(endedBy)", severity: .critical,
            grant: grant, details: details, link: link, source: source, at: now
        ).messages(on: terms.channels, at: now)
    }

    static func notice(
        _ action: Notice.Action, dedupKey: String, summary: String, severity: Notice.Severity, grant: AccessRequest, details: [String: String],
        link: URL?, source: String, eventClass: String = eventClass, at now: Date
    ) throws(DomainError) -> Notice {
        let target = grant.target.sshTarget
        return try Notice(
            action: action, dedupKey: dedupKey, summary: String(summary.prefix(Notice.maximumSummaryLength)), severity: severity, source: source,
            component: target?.host, group: target?.login, eventClass: eventClass, link: link, details: details, time: now
        )
    }

    /// The word on every other channel when a grant's page did not arrive in time: the grant is
    /// active, and someone must hear of it even while its own pager is down. Deduplicated per
    /// grant, so a retried announcement opens nothing twice.
    public static func undeliveredPageNotices(
        for grant: AccessRequest, undelivered: [ChannelName], on channels: [ChannelName], link: URL?, source: String, at now: Date
    ) throws(DomainError) -> [OutboxMessage] {
        let others = channels.filter { !undelivered.contains($0) }
        guard !undelivered.isEmpty, !others.isEmpty else { return [] }
        var details = details(of: grant, link: link)
        details["undelivered"] = undelivered.map(\.rawValue).joined(separator: ",")
        return try notice(
            .trigger, dedupKey: "\(grant.id.rawValue):page-undelivered",
            summary: "BREAK-GLASS page not delivered to \(undelivered.map(\.rawValue).joined(separator: ", ")): \(headline(of: grant))",
            severity: .critical, grant: grant, details: details, link: link, source: source, at: now
        ).messages(on: others, at: now)
    }

    /// A refused attempt under a rule that covers the target, paged on that rule's channels.
    public static func attemptPages(for refusal: BreakGlassRefusal, ask: BreakGlassAsk, by user: Username, source: String, at now: Date) throws(DomainError) -> [OutboxMessage] {
        guard let rule = refusal.rule else { return [] }
        return try Notice(
            action: .trigger, dedupKey: "break-glass-refused:\(OutboxID.random().rawValue)",
            summary: String("Refused break-glass: \(user) on \(ask.login)@\(ask.host) for \(ask.incident): \(refusal.code.rawValue)".prefix(Notice.maximumSummaryLength)),
            severity: .error, source: source, component: ask.host, group: ask.login, eventClass: "break-glass-refused",
            details: [
                "user": user.rawValue, "host": ask.host, "login": ask.login, "incident": ask.incident,
                "reason": String(ask.reason.prefix(Notice.maximumDetailLength)), "refusal": refusal.code.rawValue, "rule": rule.name,
            ],
            time: now
        ).messages(on: rule.channels, at: now)
    }

    /// The audit row of a refused ask: what was asked, by whom, and why not.
    public static func refusalEvent(for refusal: BreakGlassRefusal, ask: BreakGlassAsk, by user: Username, at now: Date) -> AuditEvent {
        AuditEvent(time: now, actor: user.rawValue, action: .breakGlassRefused, subject: "\(ask.login)@\(ask.host)", details: [
            "host": ask.host, "login": ask.login, "incident": ask.incident, "reason": ask.reason, "refusal": refusal.code.rawValue,
            "rule": refusal.rule?.name ?? "", "paged": String(refusal.isPaged),
        ])
    }
}
