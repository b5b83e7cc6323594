import Testing
@testable import CountersignCore

@Suite("Request states")
struct RequestStateTests {
    /// The only moves the life of a request allows; every other pair of the 36 is refused.
    static let allowedMoves: Set<[RequestState]> = [
        [.pending, .approved], [.pending, .denied], [.pending, .cancelled], [.pending, .expired],
        [.approved, .expired], [.approved, .revoked],
    ]

    @Test("a state moves only along the drawn arrows", arguments: RequestState.allCases, RequestState.allCases)
    func canMove(from: RequestState, to: RequestState) {
        #expect(from.canMove(to: to) == Self.allowedMoves.contains([from, to]))
    }

    @Test(
        "denied, cancelled, expired and revoked are terminal; pending and approved are not",
        arguments: [(RequestState.pending, false), (.approved, false), (.denied, true), (.cancelled, true), (.expired, true), (.revoked, true)]
    )
    func terminal(state: RequestState, isTerminal: Bool) {
        #expect(state.isTerminal == isTerminal)
        if isTerminal {
            #expect(RequestState.allCases.allSatisfy { !state.canMove(to: $0) })
        }
    }

    @Test("every state is covered by the tables")
    func allStates() {
        #expect(RequestState.allCases.map(\.rawValue) == ["pending", "approved", "denied", "cancelled", "expired", "revoked"])
    }
}
