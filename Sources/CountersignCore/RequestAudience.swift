/// Who a listing of requests is for. A store applies it in its query, in the terms
/// `RequestRules.belongs(_:to:)` states, so that paging never counts a row the caller may not see
/// and a cursor never names one.
public enum RequestAudience: Hashable, Sendable {
    /// Every request the actor may see (`RequestRules.mayView`).
    case viewer(Actor)
    /// The requests waiting on the actor's review (`RequestRules.awaitsReview`).
    case reviewer(Actor)

    public var actor: Actor {
        switch self {
        case .viewer(let actor), .reviewer(let actor): actor
        }
    }
}
