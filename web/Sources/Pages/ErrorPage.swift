/// A refusal or failure, said plainly, with the way back.
public struct ErrorPage: Page {
    public static let template = PageTemplate.error

    let chrome: PageChrome
    let status: Int
    let heading: String
    let message: String
    let backLink: String

    public init(chrome: PageChrome, status: Int, heading: String, message: String, backLink: String) {
        self.chrome = chrome
        self.status = status
        self.heading = heading
        self.message = message
        self.backLink = backLink
    }
}
