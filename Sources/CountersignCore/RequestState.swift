/// The life of a request:
///
///     pending ─┬─> approved ─┬─> expired   (access window over)
///              │             └─> revoked
///              ├─> denied
///              ├─> cancelled
///              └─> expired                 (nobody decided in time)
///
/// Terminal states never change.
public enum RequestState: String, Hashable, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case pending
    case approved
    case denied
    case cancelled
    case expired
    case revoked

    public var isTerminal: Bool {
        switch self {
        case .pending, .approved: false
        case .denied, .cancelled, .expired, .revoked: true
        }
    }

    public func canMove(to next: RequestState) -> Bool {
        switch (self, next) {
        case (.pending, .approved), (.pending, .denied), (.pending, .cancelled), (.pending, .expired),
             (.approved, .expired), (.approved, .revoked):
            true
        default:
            false
        }
    }

    public var description: String { rawValue }
}
