import CountersignCore
import Foundation

/// A break-glass grant's terms, review and escalation as the columns of its `break_glass_grants`
/// row beside its request, the same on every backend. The terms are written with the grant and
/// never change; the review and the escalation are each written once, from nothing (the schema's
/// triggers refuse the rest, against a bug or an injected statement).
public struct StoredBreakGlassGrant: Sendable {
    public var requestID: String
    /// The JSON list of channel names, in the rule's order.
    public var channels: String
    /// The JSON list of reviewer groups, sorted.
    public var reviewers: String
    public var reviewWithinSeconds: Int64
    public var keyTouched: Bool
    /// The request's creation time: what listings order grants by, without reading requests.
    public var grantedAt: Int64
    /// `grantedAt` plus the review window: what the escalation sweep selects by.
    public var reviewDueAt: Int64
    public var escalatedAt: Int64?
    /// The review: all of these and `evidence`, or none.
    public var reviewer: String?
    /// The JSON list of the reviewer's groups, sorted.
    public var reviewerGroups: String?
    public var verdict: String?
    public var notes: String?
    public var reviewedAt: Int64?
    /// What the reviewer's key signed for the verdict.
    public var evidence: StoredApproval.Evidence?

    public init(
        requestID: String, channels: String, reviewers: String, reviewWithinSeconds: Int64, keyTouched: Bool, grantedAt: Int64,
        reviewDueAt: Int64, escalatedAt: Int64?, reviewer: String?, reviewerGroups: String?, verdict: String?, notes: String?,
        reviewedAt: Int64?, evidence: StoredApproval.Evidence?
    ) {
        self.requestID = requestID
        self.channels = channels
        self.reviewers = reviewers
        self.reviewWithinSeconds = reviewWithinSeconds
        self.keyTouched = keyTouched
        self.grantedAt = grantedAt
        self.reviewDueAt = reviewDueAt
        self.escalatedAt = escalatedAt
        self.reviewer = reviewer
        self.reviewerGroups = reviewerGroups
        self.verdict = verdict
        self.notes = notes
        self.reviewedAt = reviewedAt
        self.evidence = evidence
    }

    init(_ grant: AccessRequest, terms: BreakGlassTerms) {
        let grantedAt = grant.createdAt.millisecondsSinceEpoch
        let review = grant.breakGlassReview
        self.init(
            requestID: grant.id.rawValue, channels: StoredJSON.encode(terms.channels.map(\.rawValue)),
            reviewers: StoredJSON.encode(terms.reviewers.sorted()), reviewWithinSeconds: Int64(terms.reviewWindowSeconds),
            keyTouched: terms.keyTouched, grantedAt: grantedAt, reviewDueAt: grantedAt + Int64(terms.reviewWindowSeconds) * 1000,
            escalatedAt: grant.reviewEscalatedAt?.millisecondsSinceEpoch, reviewer: review?.reviewer.rawValue,
            reviewerGroups: review.map { StoredJSON.encode($0.groups.sorted()) }, verdict: review?.verdict.rawValue, notes: review?.notes,
            reviewedAt: review?.at.millisecondsSinceEpoch,
            evidence: review.map {
                StoredApproval.Evidence(
                    credentialID: $0.evidence.credentialID, publicKey: $0.evidence.publicKey, authenticatorData: $0.evidence.authenticatorData,
                    clientDataJSON: $0.evidence.clientDataJSON, signature: $0.evidence.signature, nonce: $0.evidence.nonce
                )
            }
        )
    }

    /// The row a new request brings with it: its grant's for a `break_glass` request, none for
    /// any other. Refused with `invalid_change` when the kind and the terms disagree: a grant
    /// stored without the terms it was made under could be neither paged nor reviewed.
    public static func created(_ request: AccessRequest) throws(StoreError) -> StoredBreakGlassGrant? {
        switch (request.kind == .breakGlass, request.breakGlassTerms) {
        case (true, let terms?):
            return StoredBreakGlassGrant(request, terms: terms)
        case (false, nil):
            guard request.breakGlassReview == nil, request.reviewEscalatedAt == nil else {
                throw StoreError(.invalidChange, "request \(request.id) is not a break-glass grant: it has no review or escalation")
            }
            return nil
        case (true, nil):
            throw StoreError(.invalidChange, "break-glass grant \(request.id) must be stored with the terms it was granted under")
        case (false, _?):
            throw StoreError(.invalidChange, "request \(request.id) is a \(request.kind) request: only a break-glass grant has break-glass terms")
        }
    }

    /// The row as a change leaves it, or nil when the change leaves it as it was (as for every
    /// request of another kind). A change may add the review and the escalation, each once;
    /// anything else, altering the terms or a recorded review or escalation, is `invalid_change`:
    /// a verdict once given is evidence, and a grant paged again is not paged a third time.
    public static func changed(_ request: AccessRequest, from previous: AccessRequest) throws(StoreError) -> StoredBreakGlassGrant? {
        guard request.breakGlassTerms == previous.breakGlassTerms else {
            throw StoreError(.invalidChange, "a change to request \(request.id) may not alter its break-glass terms")
        }
        guard previous.breakGlassReview == nil || request.breakGlassReview == previous.breakGlassReview else {
            throw StoreError(.invalidChange, "break-glass grant \(request.id) was reviewed: its review is never altered or removed")
        }
        guard previous.reviewEscalatedAt == nil || request.reviewEscalatedAt == previous.reviewEscalatedAt else {
            throw StoreError(.invalidChange, "break-glass grant \(request.id) was escalated: its escalation is never altered or removed")
        }
        guard request.breakGlassReview != previous.breakGlassReview || request.reviewEscalatedAt != previous.reviewEscalatedAt else {
            return nil
        }
        guard let terms = request.breakGlassTerms else {
            throw StoreError(.invalidChange, "request \(request.id) is not a break-glass grant: it cannot be reviewed or escalated")
        }
        return StoredBreakGlassGrant(request, terms: terms)
    }

    /// What the row adds to its request, through the core's checks; `createdAt` is the request's
    /// own column, which the row's times must agree with.
    func restore(createdAt: Int64) throws(StoreError) -> (terms: BreakGlassTerms, review: BreakGlassReview?, escalatedAt: Date?) {
        let row = RowRestorer(table: "break_glass_grants", key: requestID)
        let channelNames = try row.json(channels, "channels") { reader throws(StoredJSONReader.Failure) in try reader.readStringList() }
        var channels: [ChannelName] = []
        for name in channelNames {
            channels.append(try row.domain(name, "channels", ChannelName.init))
        }
        guard Set(channels).count == channels.count else { throw row.corrupt("channels names a channel twice") }
        let reviewerList = try row.json(reviewers, "reviewers") { reader throws(StoredJSONReader.Failure) in try reader.readStringList() }
        // Only the sorted spelling, each group once, is ever written: another is an edit.
        guard reviewerList == Array(Set(reviewerList)).sorted() else { throw row.corrupt("reviewers is not a sorted list of distinct groups") }
        guard let window = Int(exactly: reviewWithinSeconds) else { throw row.corrupt("review_within_seconds is out of range") }
        let terms = try row.build("terms") { () throws(DomainError) in
            try BreakGlassTerms(channels: channels, reviewers: Set(reviewerList), reviewWindowSeconds: window, keyTouched: keyTouched)
        }
        guard grantedAt == createdAt else { throw row.corrupt("granted_at is not its request's created_at") }
        guard reviewDueAt == grantedAt + reviewWithinSeconds * 1000 else { throw row.corrupt("review_due_at is not granted_at plus the review window") }

        let review: BreakGlassReview?
        switch (reviewer, reviewerGroups, verdict, notes, reviewedAt, evidence) {
        case (nil, nil, nil, nil, nil, nil):
            review = nil
        case (let reviewer?, let groups?, let verdict?, let notes?, let at?, let evidence?):
            let name = try row.domain(reviewer, "reviewer", Username.init)
            let groups = Set(try row.json(groups, "reviewer_groups") { reader throws(StoredJSONReader.Failure) in try reader.readStringList() })
            guard let verdict = BreakGlassReview.Verdict(rawValue: verdict) else { throw row.corrupt("unknown verdict") }
            let signed = HardwareKeyEvidence(
                credentialID: evidence.credentialID, publicKey: evidence.publicKey, authenticatorData: evidence.authenticatorData,
                clientDataJSON: evidence.clientDataJSON, signature: evidence.signature, nonce: try row.bytes(evidence.nonce, "nonce", count: 32)
            )
            review = try row.build("review") { () throws(DomainError) in
                try BreakGlassReview(reviewer: name, groups: groups, verdict: verdict, notes: notes, at: row.time(at), evidence: signed)
            }
        default:
            throw row.corrupt("a review with some of its columns missing")
        }
        return (terms, review, row.time(escalatedAt))
    }

    /// Rows read for several requests, keyed by request id.
    public static func byRequest(_ rows: [StoredBreakGlassGrant]) -> [String: StoredBreakGlassGrant] {
        Dictionary(rows.map { ($0.requestID, $0) }, uniquingKeysWith: { first, _ in first })
    }
}
