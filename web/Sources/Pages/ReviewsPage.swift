import CountersignAPI

/// Requests the signed-in reviewer may approve or deny now. The list part is also served alone
/// (`ReviewList`), which the page's script fetches to show new work without a reload.
public struct ReviewsPage: Page {
    public static let template = PageTemplate.reviews

    let chrome: PageChrome
    let list: ReviewList
    let refreshSeconds: Int

    public init(chrome: PageChrome, requests: [RequestView], refreshSeconds: Int) {
        self.chrome = chrome
        list = ReviewList(requests: requests)
        self.refreshSeconds = refreshSeconds
    }
}

public struct ReviewList: Page {
    public static let template = PageTemplate.reviewList

    let requests: [RequestRow]
    let isEmpty: Bool
    let count: Int

    public init(requests: [RequestView]) {
        self.requests = requests.map(RequestRow.init)
        isEmpty = requests.isEmpty
        count = requests.count
    }
}
