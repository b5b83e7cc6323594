import CountersignAPI

/// One break-glass grant waiting for the viewer's review, in the list of work: enough to see
/// what was done, by whom, and how urgent its review is, an overdue one marked so.
struct GrantRow: Sendable {
    let id: String
    let link: String
    let target: String
    let user: String
    let incident: String
    let reason: String
    let granted: TimeView
    let due: TimeView
    let overdue: Bool
    let stateLabel: String

    init(_ grant: BreakGlassGrantView) {
        let request = grant.request
        id = request.id
        link = "/requests/\(request.id)"
        target = RequestWording.target(request)
        user = request.requester
        incident = grant.incident
        reason = request.reason
        granted = TimeView(request.createdAt)
        due = TimeView(grant.reviewDueAt)
        overdue = grant.reviewOverdue
        stateLabel = request.state == "approved" ? "active" : "ended"
    }
}
