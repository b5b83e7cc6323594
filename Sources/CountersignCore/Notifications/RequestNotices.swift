import Foundation

/// The everyday news of a request, stated once: its reviewers hear of a new request, its
/// requester of the decision, its approvers of a revocation, on the channels its rule names
/// (`PolicyRule.notify`). A change that is none of these (an approval that leaves the request
/// pending, a cancel, an expiry) says nothing. Each notice is deduplicated by request and event,
/// so a retried delivery never reads as a second request.
public enum RequestNotices {
    public static let eventClass = "request"

    /// What `change` announces on `channels`, linking to the request's page at `link`.
    public static func notices(for change: RequestChange, on channels: [ChannelName], link: URL?, source: String, at now: Date) -> [OutboxMessage] {
        guard !channels.isEmpty, let (event, summary, severity) = news(of: change) else { return [] }
        let request = change.request
        var details = Dictionary(request.target.fields.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
        details["request"] = request.id.rawValue
        details["kind"] = request.kind.rawValue
        details["requester"] = request.requester.rawValue
        details["rule"] = request.ruleName
        details["ticket"] = request.ticket
        details["reason"] = String(request.reason.prefix(Notice.maximumDetailLength))
        switch event {
        case "created":
            details["reviewers"] = request.requirement.reviewerGroups.sorted().joined(separator: ", ")
            details["needs"] = request.requirement.clauses.map(\.description).joined(separator: " and ")
        case "approved":
            details["approvers"] = request.approvals.map(\.approver.rawValue).joined(separator: ", ")
        case "denied":
            details["denied_by"] = request.denial?.by.rawValue ?? ""
            details["denial_reason"] = String((request.denial?.reason ?? "").prefix(Notice.maximumDetailLength))
        default:
            details["revoked_by"] = request.closedBy?.rawValue ?? ""
            details["approvers"] = request.approvals.map(\.approver.rawValue).joined(separator: ", ")
        }
        let notice: Notice
        do {
            notice = try Notice(
                action: .inform, dedupKey: "request:\(request.id.rawValue):\(event)", summary: String(summary.prefix(Notice.maximumSummaryLength)),
                severity: severity, source: source, component: request.target.fields.first?.value, eventClass: eventClass, link: link,
                details: details.mapValues { String($0.prefix(Notice.maximumDetailLength)) }, time: now
            )
        } catch {
            // Every field is bounded above to what a notice takes.
            return []
        }
        return notice.messages(on: channels, at: now)
    }

    private static func news(of change: RequestChange) -> (event: String, summary: String, severity: Notice.Severity)? {
        let request = change.request
        let what = "\(request.kind.rawValue) request \(request.id) by \(request.requester) (\(Policy.describe(request.target)))"
        let actions = Set(change.events.map(\.action))
        if actions.contains(.requestCreated) {
            return ("created", "New \(what): needs \(request.requirement.clauses.map(\.description).joined(separator: " and "))", .info)
        }
        if actions.contains(.requestApproved) {
            return ("approved", "Approved: \(what), by \(request.approvals.map(\.approver.rawValue).joined(separator: ", "))", .info)
        }
        if actions.contains(.requestDenied) {
            return ("denied", "Denied: \(what), by \(request.denial?.by.rawValue ?? "a reviewer")", .info)
        }
        if actions.contains(.requestRevoked) {
            return ("revoked", "Revoked: \(what), by \(request.closedBy?.rawValue ?? "an admin")", .warning)
        }
        return nil
    }
}
