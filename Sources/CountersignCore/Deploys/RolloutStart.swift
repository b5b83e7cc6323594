import Foundation

/// The first recorded start of a rollout under an approved deploy request (`countersign check
/// --consume`). For a single-use request it spends the approval: the gate refuses every later
/// use.
public struct RolloutStart: Hashable, Sendable {
    public let at: Date
    public let by: DeployCaller

    public init(at: Date, by: DeployCaller) {
        self.at = at.truncatedToMilliseconds
        self.by = by
    }
}
