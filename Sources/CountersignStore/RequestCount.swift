import CountersignCore

/// How many requests of a kind are in a state: one sample of the requests gauge.
public struct RequestCount: Hashable, Sendable {
    public let kind: RequestKind
    public let state: RequestState
    public let count: Int

    public init(kind: RequestKind, state: RequestState, count: Int) {
        self.kind = kind
        self.state = state
        self.count = count
    }
}
