/// The sign-in form. `loginToken` pairs the form with a cookie set when it was served, so a
/// form on another site cannot sign a reviewer in as someone else.
public struct LoginPage: Page {
    public static let template = PageTemplate.login

    let chrome: PageChrome
    let loginToken: String
    let next: String
    let username: String
    let error: String?

    public init(loginToken: String, next: String, username: String = "", error: String? = nil, notice: PageNotice? = nil) {
        chrome = PageChrome(title: "Log in", username: nil, csrfToken: nil, section: .none, notice: notice)
        self.loginToken = loginToken
        self.next = next
        self.username = username
        self.error = error
    }
}
