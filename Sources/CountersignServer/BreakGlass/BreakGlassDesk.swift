import CountersignAPI
import CountersignCore
import CountersignSSH
import CountersignStore
import Foundation
import HTTPTypes
import Logging
import Synchronization

/// The break-glass operations behind the API: the policy admits, the core rules make the grant,
/// its end and its review, and the store commits each with its audit events and pages. Nothing
/// here decides a rule of its own; what it adds is the order of things at the edge (the pages
/// committed before the credential is made, their delivery awaited before it is returned).
struct BreakGlassDesk: Sendable {
    let store: any GatewayStore
    let requests: RequestDesk
    let keys: HardwareKeyDesk
    let authority: SSHCertificateAuthority
    let pages: PageWatch
    let clock: any WallClock
    let logger: Logger

    var newsroom: RequestNewsroom { requests.newsroom }

    // MARK: Breaking glass

    /// A challenge over exactly `body`'s ask for `caller`'s keys, saying whether the rule deciding
    /// it wants the touch. `keyAlone`: without a session the touch is the proof of who it is, wanted always.
    func keyChallenge(_ body: BreakGlassBody, by caller: Actor, keyAlone: Bool) async throws -> AssertionOptionsView {
        let ask = try Self.ask(body)
        var options = try await keys.statementOptions(.breakGlass, digest: ask.statementDigest(by: caller.name), about: nil, by: caller)
        // The options exist only for a caller with a usable key: the key a touch would be of.
        options.touchWanted = keyAlone || BreakGlassRules.touchWanted(for: ask, under: requests.policies.current.policy.breakGlass, hasUsableKey: true)
        return options
    }

    /// Breaks glass for `caller`: the grant, its pages and its certificate, or a refusal that is
    /// audited (and paged, under a rule that covers the target). `keyAlone`: the caller has no
    /// session, and only the touch of their own key over the ask proves who they are.
    func breakGlass(_ body: BreakGlassBody, by caller: Actor, keyAlone: Bool = false) async throws -> BreakGlassGrantedView {
        let ask = try Self.ask(body)
        if keyAlone, body.keyTouch == nil {
            throw GatewayError(
                status: .unauthorized, code: APIErrorCode.unauthenticated,
                message: "log in, or touch your own enrolled key over this ask (POST /v1/break-glass/key-challenge with your user name)"
            )
        }
        guard let publicKey = body.publicKey else { throw DomainError(.invalidField, "public_key is required: the key the certificate is for") }
        let subject = try SSHCertificateController.subject(publicKey)
        // Checked before anything is granted: a grant whose session cannot be recorded is refused.
        guard authority.recorderCommand != nil else {
            throw GatewayError(
                status: .serviceUnavailable, code: APIErrorCode.recorderUnconfigured,
                message: "break-glass sessions are recorded, and the gateway was started without --recorder-command; nothing was granted"
            )
        }
        let usableKeys = try await store.keys(of: caller.name).filter(HardwareKeyRules.isUsable)
        var keyTouched = false
        if let touch = body.keyTouch {
            do {
                _ = try await keys.verifyStatement(touch, .breakGlass, digest: ask.statementDigest(by: caller.name), about: nil, by: caller)
                keyTouched = true
            } catch {
                try await audit(refusal: "break_glass_key_touch_failed", ask: ask, by: caller)
                throw error
            }
        }
        let now = clock.now()
        let admission: BreakGlassRules.Admission
        do {
            let admitted = try BreakGlassRules.admit(
                ask, by: caller, under: requests.policies.current.policy.breakGlass, hasUsableKey: !usableKeys.isEmpty, keyTouched: keyTouched, at: now
            )
            admission = keyAlone ? try admitted.keyAlone() : admitted
        } catch {
            let paged = try BreakGlassRules.attemptPages(for: error, ask: ask, by: caller.name, source: newsroom.source, at: now)
            try await store.enqueue(paged, events: [BreakGlassRules.refusalEvent(for: error, ask: ask, by: caller.name, at: now)])
            if !paged.isEmpty { newsroom.send() }
            throw GatewayError(error)
        }
        let id = RequestID.random()
        let change = try BreakGlassRules.grant(ask, admission, id: id, to: caller.name, link: newsroom.link(to: id), source: newsroom.source, at: now)
        let grant = try await store.createRequest(change)
        newsroom.send()
        logger.warning("break-glass granted", metadata: [
            "grant": "\(grant.id)", "user": "\(caller.name)", "host": "\(ask.host)", "login": "\(ask.login)", "incident": "\(ask.incident)",
            "proof": "\(keyAlone ? "key_alone" : "session")",
        ])
        // The certificate is made while the pages go out; it is returned once they arrived or the
        // wait is over, whichever is first.
        async let delivery = pages.await(change.notifications, of: grant)
        var certificate: SSHCertificateView?
        if grant.state == .approved {
            let (signed, recording) = try await authority.issue(for: grant.id, subject: subject, by: caller)
            certificate = SSHCertificateView(signed, recording: recording)
        }
        return BreakGlassGrantedView(grant: try view(of: grant, for: caller), certificate: certificate, pages: await delivery)
    }

    // MARK: The grant's life

    func grant(_ id: RequestID, for caller: Actor) async throws -> AccessRequest {
        let grant = try await requests.request(id, for: caller)
        guard grant.kind == .breakGlass else { throw GatewayError.notFound("break-glass grant \(id)") }
        return grant
    }

    func list(unreviewedOnly: Bool, limit: Int, for caller: Actor) async throws -> [AccessRequest] {
        let grants = try await store.breakGlassGrants(try BreakGlassQuery(unreviewedOnly ? .unreviewed : .all, limit: limit))
        return grants.filter { RequestRules.mayView($0, actor: caller) }
    }

    func end(_ id: RequestID, reason: String, by caller: Actor) async throws -> AccessRequest {
        _ = try await grant(id, for: caller)
        let now = clock.now()
        let newsroom = newsroom
        let ended = try await store.update(id, at: now) { grant in
            try BreakGlassRules.end(grant, by: caller, reason: reason, link: newsroom.link(to: grant.id), source: newsroom.source, at: now)
        }
        newsroom.send()
        return ended
    }

    /// Ends every open grant made for the incident `event` resolves; returns those it ended.
    func resolve(_ event: IncidentWebhook) async throws -> [AccessRequest] {
        guard event.resolvesAnIncident else { return [] }
        let open = try await store.breakGlassGrants(try BreakGlassQuery(.open, limit: BreakGlassQuery.maximumLimit))
        var ended: [AccessRequest] = []
        let newsroom = newsroom
        for grant in open where event.names(grant.ticket) {
            let now = clock.now()
            do {
                ended.append(try await store.update(grant.id, at: now) { current in
                    try BreakGlassRules.endByIncident(current, incident: event.incidentID, link: newsroom.link(to: current.id), source: newsroom.source, at: now)
                })
            } catch let error as DomainError where error.code == .invalidState || error.code == .requestExpired {
                // Ended meanwhile, by someone or by time: nothing is left to end.
                continue
            }
        }
        if !ended.isEmpty { newsroom.send() }
        return ended
    }

    // MARK: Review

    func reviewChallenge(_ id: RequestID, _ body: BreakGlassReviewBody, by caller: Actor) async throws -> AssertionOptionsView {
        let grant = try await grant(id, for: caller)
        let review = try Self.verdict(body)
        // The same rules the review will apply: no touch is asked for a review that would be refused.
        _ = try BreakGlassReviewRules.review(grant, with: try review.made(by: caller, Self.placeholderEvidence, at: clock.now()), reviewerActor: caller, link: nil, source: newsroom.source)
        return try await keys.statementOptions(
            .breakGlassReview, digest: BreakGlassReview.statementDigest(of: grant, verdict: review.verdict, notes: review.notes), about: id, by: caller
        )
    }

    func review(_ id: RequestID, _ body: BreakGlassReviewBody, by caller: Actor) async throws -> AccessRequest {
        let grant = try await grant(id, for: caller)
        let verdict = try Self.verdict(body)
        guard let touch = body.keyTouch else {
            throw DomainError(.hardwareKeyRequired, "a break-glass review is recorded with a touch of your enrolled key (key_touch)")
        }
        let digest = BreakGlassReview.statementDigest(of: grant, verdict: verdict.verdict, notes: verdict.notes)
        let evidence = try await keys.verifyStatement(touch, .breakGlassReview, digest: digest, about: id, by: caller)
        let review = try verdict.made(by: caller, evidence, at: clock.now())
        let newsroom = newsroom
        let reviewed = try await store.update(id, at: review.at) { current in
            // Signed over the content as it was; a grant changed since is not what was reviewed.
            guard BreakGlassReview.statementDigest(of: current, verdict: review.verdict, notes: review.notes) == digest else {
                throw DomainError(.invalidState, "the grant's content changed after the key challenge was issued")
            }
            return try BreakGlassReviewRules.review(current, with: review, reviewerActor: caller, link: newsroom.link(to: current.id), source: newsroom.source)
        }
        newsroom.send()
        return reviewed
    }

    /// A review body's verdict and notes, and what makes the review once the evidence is in.
    private static func verdict(_ body: BreakGlassReviewBody) throws -> ReviewDraft {
        guard let verdict = BreakGlassReview.Verdict(rawValue: body.verdict) else {
            throw DomainError(.invalidField, "verdict must be one of \(BreakGlassReview.Verdict.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return ReviewDraft(verdict: verdict, notes: body.notes)
    }

    private struct ReviewDraft {
        let verdict: BreakGlassReview.Verdict
        let notes: String

        func made(by reviewer: Actor, _ evidence: HardwareKeyEvidence, at now: Date) throws -> BreakGlassReview {
            try BreakGlassReview(reviewer: reviewer.name, groups: reviewer.groups, verdict: verdict, notes: notes, at: now, evidence: evidence)
        }
    }

    // MARK: Helpers

    func view(of grant: AccessRequest, for caller: Actor) throws -> BreakGlassGrantView {
        try BreakGlassGrantView(grant, caller: caller, at: clock.now())
    }

    private func audit(refusal code: String, ask: BreakGlassAsk, by caller: Actor) async throws {
        _ = try await store.appendAudit([AuditEvent(
            time: clock.now(), actor: caller.name.rawValue, action: .breakGlassRefused, subject: "\(ask.login)@\(ask.host)",
            details: ["host": ask.host, "login": ask.login, "incident": ask.incident, "refusal": code]
        )])
    }

    static func ask(_ body: BreakGlassBody) throws(DomainError) -> BreakGlassAsk {
        try BreakGlassAsk(host: body.host, login: body.login, incident: body.incident, reason: body.reason, durationSeconds: body.durationSeconds)
    }

    /// Only ever passed to a dry run of the rules, which check who and when, not the evidence.
    private static let placeholderEvidence = HardwareKeyEvidence(credentialID: [], publicKey: [], authenticatorData: [], clientDataJSON: [], signature: [], nonce: [])
}

extension GatewayError {
    /// Refusals of breaking glass keep their own codes; who may not is 403, what may not 422.
    init(_ refusal: BreakGlassRefusal) {
        let status: HTTPResponse.Status = switch refusal.code {
        case .notOnCall, .keyTouchRequired: .forbidden
        case .noRule, .incidentMismatch, .tooLong: .unprocessableContent
        }
        self.init(status: status, code: refusal.code.rawValue, message: refusal.message)
    }
}
