import CountersignAPI
import Foundation

/// One request in full: what is asked, why, what the policy requires and how far it has got, its
/// history, and the actions the signed-in user may take on it now. The requester is shown no
/// approve button on their own request (and the gateway refuses it anyway). A break-glass grant
/// adds its own part (`BreakGlassPanel`): the banner, its incident and end, and its review.
public struct RequestPage: Page {
    public static let template = PageTemplate.request

    struct Field: Sendable {
        let label: String
        let value: String
    }

    struct ClauseRow: Sendable {
        let group: String
        let progress: String
        let satisfied: Bool
        let approvers: String?
    }

    struct HistoryEntry: Sendable {
        let time: TimeView
        let text: String
    }

    let chrome: PageChrome
    let id: String
    let heading: String
    let fields: [Field]
    let requester: String
    let reason: String
    let ticket: String
    let stateLabel: String
    let state: String
    let isPending: Bool
    let digestShort: String
    let digest: String
    let rule: String
    let hardwareKeyRequired: Bool
    let clauses: [ClauseRow]
    let summary: String
    /// Break-glass: the grant's own facts, review and controls.
    let breakGlass: BreakGlassPanel?
    /// What each certificate of an SSH request lets its holder do; empty for a deploy.
    let certificateTerms: [Field]
    let hasCertificateTerms: Bool
    /// "Sessions are recorded (…)." when the terms record sessions.
    let recordingNotice: String?
    /// The recordings of its sessions the viewer may see, newest first.
    let recordings: [RecordingRow]
    let showsRecordings: Bool
    let hasPlayableRecording: Bool
    let recordingAudience: String
    let code: DeployCodeLinks?
    let history: [HistoryEntry]
    let pendingExpires: TimeView
    let accessExpires: TimeView?
    let mayReview: Bool
    let keyApproval: Bool
    let sessionApproval: Bool
    let needsKeyFirst: Bool
    let isOwnRequest: Bool
    let mayCancel: Bool

    /// - Parameters:
    ///   - keysAvailable: the gateway has a public origin, so key ceremonies can be verified.
    ///   - viewerHasKeys: the signed-in user has at least one usable enrolled key.
    ///   - code: where the deploy's code is read, when its rule links to a repository.
    ///   - recordings: the recordings of its sessions the viewer may see.
    ///   - seesAllRecordings: the viewer oversees (auditors, admins), so sees everyone's.
    ///   - breakGlass: what a break-glass grant's page adds; nil for any other request.
    public init(
        chrome: PageChrome, request: RequestView, viewer: String, keysAvailable: Bool, viewerHasKeys: Bool, code: DeployCodeLinks? = nil,
        recordings: [RecordingView] = [], seesAllRecordings: Bool = false, breakGlass: BreakGlassPanel? = nil
    ) {
        self.chrome = chrome
        id = request.id
        heading = "\(RequestWording.kind(request.kind)): \(RequestWording.target(request))"
        fields = Self.fields(request.target) + (request.rollout.map { [Self.field($0)] } ?? [])
        requester = request.requester
        reason = request.reason
        ticket = request.ticket
        state = request.state
        stateLabel = breakGlass?.stateLabel ?? RequestWording.state(request.state)
        isPending = request.state == "pending"
        digest = request.contentDigest
        digestShort = String(request.contentDigest.prefix(12))
        rule = request.requirement.rule
        hardwareKeyRequired = request.requirement.hardwareKeyRequired
        clauses = request.requirement.clauses.map {
            ClauseRow(
                group: $0.group, progress: "\($0.approvers.count) of \($0.required)", satisfied: $0.satisfied,
                approvers: $0.approvers.isEmpty ? nil : $0.approvers.joined(separator: ", ")
            )
        }
        summary = request.requirement.clauses.isEmpty && breakGlass != nil
            ? "No approval: break-glass is granted at once, and reviewed afterwards."
            : request.requirement.summary
        self.breakGlass = breakGlass
        certificateTerms = request.certificate.map(Self.fields) ?? []
        hasCertificateTerms = !certificateTerms.isEmpty
        recordingNotice = switch request.certificate?.recording {
        case "output_and_input": "Sessions are recorded (output and input)."
        case "output": "Sessions are recorded (output)."
        default: nil
        }
        self.recordings = recordings.map(RecordingRow.init)
        showsRecordings = recordingNotice != nil || !recordings.isEmpty
        hasPlayableRecording = self.recordings.contains { $0.playable }
        recordingAudience = seesAllRecordings
            ? "You see every session's recording."
            : "You see the recordings of your own sessions; auditors see everyone's."
        self.code = code
        history = breakGlass.map { Self.history(request, grant: $0) } ?? Self.history(request)
        pendingExpires = TimeView(request.pendingExpiresAt)
        accessExpires = request.accessExpiresAt.map(TimeView.init)
        isOwnRequest = request.requester == viewer
        mayReview = request.callerMayReview && !isOwnRequest
        keyApproval = mayReview && keysAvailable && viewerHasKeys
        sessionApproval = mayReview && !request.requirement.hardwareKeyRequired
        needsKeyFirst = mayReview && request.requirement.hardwareKeyRequired && !(keysAvailable && viewerHasKeys)
        // A grant is ended with its own control, which resolves its pages; never cancelled as a request.
        mayCancel = isOwnRequest && isPending && breakGlass == nil
    }

    static func fields(_ target: TargetView) -> [Field] {
        [
            target.service.map { Field(label: "Service", value: $0) },
            target.environment.map { Field(label: "Environment", value: $0) },
            target.commit.map { Field(label: "Commit", value: $0) },
            target.host.map { Field(label: "Host", value: $0) },
            target.login.map { Field(label: "Login", value: $0) },
            target.durationSeconds.map { Field(label: "Duration", value: RequestWording.duration($0)) },
        ].compactMap { $0 }
    }

    /// A grant's story, in time order: broke glass, agreed to, ended (when that time is still
    /// known), reviewed (a review may come before the grant ends).
    static func history(_ request: RequestView, grant: BreakGlassPanel) -> [HistoryEntry] {
        var events: [(at: Date, text: String)] = [(request.createdAt, "Broke glass: \(request.requester), for incident \(grant.incident)")]
        for approval in request.approvals {
            let method = approval.method == "hardware_key" ? "with a security key" : "with a session"
            events.append((approval.at, "Agreed to by \(approval.approver) \(method)"))
        }
        if let ending = grant.ending, let at = grant.endedDate {
            events.append((at, ending))
        }
        if let review = grant.review {
            events.append((review.date, "Reviewed by \(review.reviewer): \(review.verdictLabel)"))
        }
        return events.enumerated()
            .sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }
            .map { HistoryEntry(time: TimeView($0.element.at), text: $0.element.text) }
    }

    static func field(_ rollout: RolloutView) -> Field {
        Field(label: "Approval covers", value: rollout.singleUse ? "one rollout (single-use)" : "any rollout within its window")
    }

    static func fields(_ terms: CertificateTermsView) -> [Field] {
        let forwarding = terms.forwarding.map { $0.replacingOccurrences(of: "_", with: " ") }
        return [
            Field(label: "Each lasts", value: "up to \(RequestWording.duration(terms.lifetimeSeconds))"),
            Field(label: "Used from", value: terms.sourceAddress.isEmpty ? "anywhere" : terms.sourceAddress.joined(separator: ", ")),
            Field(label: "Runs", value: terms.forceCommand ?? "what the user asks for"),
            Field(label: "Permits", value: (["a terminal"] + forwarding).joined(separator: ", ")),
        ]
    }

    static func history(_ request: RequestView) -> [HistoryEntry] {
        var entries = [HistoryEntry(time: TimeView(request.createdAt), text: "Requested by \(request.requester)")]
        for approval in request.approvals {
            let method = approval.method == "hardware_key" ? "with a security key" : "with a session"
            entries.append(HistoryEntry(time: TimeView(approval.at), text: "Approved by \(approval.approver) \(method)"))
        }
        if let denial = request.denial {
            entries.append(HistoryEntry(time: TimeView(denial.at), text: "Denied by \(denial.by): \(denial.reason)"))
        }
        if let rollout = request.rollout, let at = rollout.startedAt, let by = rollout.startedBy {
            let spent = rollout.singleUse ? "; the approval is spent" : ""
            entries.append(HistoryEntry(time: TimeView(at), text: "Rollout started by \(by)\(spent)"))
        }
        switch request.state {
        case "expired":
            entries.append(HistoryEntry(time: TimeView(request.updatedAt), text: "Expired without enough approvals"))
        case "cancelled", "revoked":
            let who = request.closedBy.map { " by \($0)" } ?? ""
            let why = request.closeReason.map { ": \($0)" } ?? ""
            entries.append(HistoryEntry(time: TimeView(request.updatedAt), text: "\(RequestWording.state(request.state))\(who)\(why)"))
        default:
            break
        }
        return entries
    }
}
