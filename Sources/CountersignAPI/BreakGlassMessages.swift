import Foundation

// Break-glass on the wire: the ask, the grant with its certificate and how its pages went, its
// end, and its review after the fact.

/// What an on-call engineer asks for: `POST /v1/break-glass/key-challenge` (for the touch of their
/// own key over exactly this ask) and, with `public_key`, `POST /v1/break-glass`.
public struct BreakGlassBody: Codable, Sendable, Equatable {
    public let host: String
    public let login: String
    public let incident: String
    public let reason: String
    /// Left out: the rule's longest.
    public let durationSeconds: Int?
    /// The `authorized_keys` line of the key the certificate is for; not needed for a key challenge.
    public let publicKey: String?
    /// The touch of the user's own enrolled key over this ask, answering a key challenge.
    public let keyTouch: AssertionBody?
    /// Who asks, when they have no session (PAM's back end may be down): then the touch of their
    /// own enrolled key over the ask is what proves it. With a session, left out or the same name.
    public let user: String?

    public init(
        host: String, login: String, incident: String, reason: String, durationSeconds: Int?, publicKey: String?, keyTouch: AssertionBody?,
        user: String? = nil
    ) {
        self.host = host
        self.login = login
        self.incident = incident
        self.reason = reason
        self.durationSeconds = durationSeconds
        self.publicKey = publicKey
        self.keyTouch = keyTouch
        self.user = user
    }
}

/// How one of the grant's pages stands when the credential is returned.
public struct PageDeliveryView: Codable, Sendable, Equatable {
    public let channel: String
    /// `delivered`, `pending` (still being retried) or `dead`.
    public let state: String
    public let lastError: String?

    public init(channel: String, state: String, lastError: String?) {
        self.channel = channel
        self.state = state
        self.lastError = lastError
    }
}

/// `POST /v1/break-glass` answers the grant, its certificate (none while it waits on someone's
/// agreement: take it with `POST /v1/requests/{id}/ssh-certificate` once active) and its pages.
public struct BreakGlassGrantedView: Codable, Sendable, Equatable {
    public let grant: BreakGlassGrantView
    public let certificate: SSHCertificateView?
    public let pages: [PageDeliveryView]

    public init(grant: BreakGlassGrantView, certificate: SSHCertificateView?, pages: [PageDeliveryView]) {
        self.grant = grant
        self.certificate = certificate
        self.pages = pages
    }
}

public struct BreakGlassReviewView: Codable, Sendable, Equatable {
    public let reviewer: String
    public let verdict: String
    public let notes: String
    public let at: Date

    public init(reviewer: String, verdict: String, notes: String, at: Date) {
        self.reviewer = reviewer
        self.verdict = verdict
        self.notes = notes
        self.at = at
    }
}

/// A grant as the request it is, with what break-glass adds: its incident, pages, review.
public struct BreakGlassGrantView: Codable, Sendable, Equatable {
    public let request: RequestView
    public let incident: String
    public let channels: [String]
    public let keyTouched: Bool
    public let reviewers: [String]
    public let reviewDueAt: Date
    public let reviewOverdue: Bool
    public let reviewEscalatedAt: Date?
    public let review: BreakGlassReviewView?

    public init(
        request: RequestView, incident: String, channels: [String], keyTouched: Bool, reviewers: [String], reviewDueAt: Date,
        reviewOverdue: Bool, reviewEscalatedAt: Date?, review: BreakGlassReviewView?
    ) {
        self.request = request
        self.incident = incident
        self.channels = channels
        self.keyTouched = keyTouched
        self.reviewers = reviewers
        self.reviewDueAt = reviewDueAt
        self.reviewOverdue = reviewOverdue
        self.reviewEscalatedAt = reviewEscalatedAt
        self.review = review
    }
}

/// `GET /v1/break-glass[?unreviewed=true]`
public struct BreakGlassListView: Codable, Sendable, Equatable {
    public let grants: [BreakGlassGrantView]

    public init(grants: [BreakGlassGrantView]) {
        self.grants = grants
    }
}

/// `POST /v1/break-glass/{id}/end`
public struct EndBreakGlassBody: Codable, Sendable, Equatable {
    public let reason: String

    public init(reason: String) {
        self.reason = reason
    }
}

/// `POST /v1/break-glass/{id}/review-challenge` (the verdict the reviewer's key will sign) and,
/// with `key_touch`, `POST /v1/break-glass/{id}/review`.
public struct BreakGlassReviewBody: Codable, Sendable, Equatable {
    /// `justified` or `unjustified`.
    public let verdict: String
    public let notes: String
    public let keyTouch: AssertionBody?

    public init(verdict: String, notes: String, keyTouch: AssertionBody?) {
        self.verdict = verdict
        self.notes = notes
        self.keyTouch = keyTouch
    }
}
