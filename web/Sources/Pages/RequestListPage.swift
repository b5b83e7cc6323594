import CountersignAPI

/// A list of requests with a search box and paging: "My requests" and the history of decided
/// and expired requests (nothing disappears from it after expiry).
public struct RequestListPage: Page {
    public static let template = PageTemplate.requestList

    let chrome: PageChrome
    let heading: String
    let introduction: String
    let action: String
    let query: String
    let requests: [RequestRow]
    let isEmpty: Bool
    let olderLink: String?

    public init(chrome: PageChrome, heading: String, introduction: String, action: String, query: String, requests: [RequestView], olderLink: String?) {
        self.chrome = chrome
        self.heading = heading
        self.introduction = introduction
        self.action = action
        self.query = query
        self.requests = requests.map(RequestRow.init)
        isEmpty = requests.isEmpty
        self.olderLink = olderLink
    }
}
