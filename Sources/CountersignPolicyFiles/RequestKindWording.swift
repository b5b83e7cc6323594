import CountersignCore

extension RequestKind {
    /// "a deploy", "an ssh": for messages such as "unknown key 'service' in an ssh request".
    var withArticle: String {
        switch self {
        case .deploy: "a deploy"
        case .ssh: "an ssh"
        case .breakGlass: "a break-glass"
        }
    }
}
