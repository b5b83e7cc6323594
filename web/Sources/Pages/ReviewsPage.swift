import CountersignAPI

/// What waits on the signed-in reviewer: break-glass grants to review after the fact (at the top,
/// overdue ones first and marked), then requests to approve or deny. The list part is also served
/// alone (`ReviewList`), which the page's script fetches to show new work without a reload.
public struct ReviewsPage: Page {
    public static let template = PageTemplate.reviews

    let chrome: PageChrome
    let list: ReviewList
    let refreshSeconds: Int

    /// - Parameter grants: the grants waiting on this reviewer, in the order to take them.
    public init(chrome: PageChrome, grants: [BreakGlassGrantView], requests: [RequestView], refreshSeconds: Int) {
        self.chrome = chrome
        list = ReviewList(grants: grants, requests: requests)
        self.refreshSeconds = refreshSeconds
    }
}

public struct ReviewList: Page {
    public static let template = PageTemplate.reviewList

    let grants: [GrantRow]
    let hasGrants: Bool
    /// "2 overdue", when any is.
    let overdueSummary: String?
    let requests: [RequestRow]
    let hasRequests: Bool
    let isEmpty: Bool

    /// - Parameter grants: the grants waiting on this reviewer, in the order to take them.
    public init(grants: [BreakGlassGrantView], requests: [RequestView]) {
        self.grants = grants.map(GrantRow.init)
        hasGrants = !grants.isEmpty
        let overdue = grants.filter(\.reviewOverdue).count
        overdueSummary = overdue == 0 ? nil : "\(overdue) overdue"
        self.requests = requests.map(RequestRow.init)
        hasRequests = !requests.isEmpty
        isEmpty = grants.isEmpty && requests.isEmpty
    }
}
