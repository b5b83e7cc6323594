/// What every page shows around its content: the title, who is signed in, the navigation, the
/// anti-forgery token for its forms, and a notice after an action ("Request denied").
public struct PageChrome: Sendable {
    public enum Section: Sendable {
        case reviews, mine, history, keys, none
    }

    let title: String
    let username: String?
    let csrfToken: String?
    let notice: String?
    let onReviews: Bool
    let onMine: Bool
    let onHistory: Bool
    let onKeys: Bool
    /// Scripts beyond the common one: the WebAuthn ceremonies, only on the pages that use them.
    let usesWebAuthn: Bool

    public init(title: String, username: String?, csrfToken: String?, section: Section, notice: PageNotice? = nil, usesWebAuthn: Bool = false) {
        self.title = title
        self.username = username
        self.csrfToken = csrfToken
        self.notice = notice?.text
        onReviews = section == .reviews
        onMine = section == .mine
        onHistory = section == .history
        onKeys = section == .keys
        self.usesWebAuthn = usesWebAuthn
    }
}

/// The confirmations a page may show after a redirect. Chosen from this list by a short name in
/// the query string, so nobody can make the gateway display text of their choosing.
public enum PageNotice: String, Sendable, CaseIterable {
    case approved, denied, cancelled, enrolled, removed, reviewed, ended, loggedOut = "logged-out"

    var text: String {
        switch self {
        case .approved: "Your approval was recorded."
        case .denied: "The request was denied."
        case .cancelled: "The request was cancelled."
        case .enrolled: "Your security key was enrolled."
        case .removed: "The security key was removed."
        case .reviewed: "Your review was recorded."
        case .ended: "The grant was ended: its certificates are revoked and its pages resolved."
        case .loggedOut: "You are logged out."
        }
    }
}
