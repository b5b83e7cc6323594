import CountersignCore
import Foundation
import Testing

@Suite("Attempt limits")
struct AttemptLimitTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let limit = AttemptLimit(attempts: 3, window: 600)

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        /// Seconds before `now` of each recorded attempt.
        let ago: [TimeInterval]
        let wait: TimeInterval?
        var testDescription: String { name }
    }

    @Test(
        "The wait runs until the oldest of the last attempts leaves the window",
        arguments: [
            Case(name: "no attempts", ago: [], wait: nil),
            Case(name: "below the limit", ago: [10, 20], wait: nil),
            Case(name: "at the limit", ago: [10, 20, 100], wait: 500),
            Case(name: "any order", ago: [100, 10, 20], wait: 500),
            Case(name: "older attempts beyond the limit do not lengthen the wait", ago: [10, 20, 100, 400, 500], wait: 500),
            Case(name: "attempts outside the window do not count", ago: [10, 20, 600, 900], wait: nil),
            Case(name: "an attempt just inside the window counts", ago: [10, 20, 599.5], wait: 1),
            Case(name: "the wait is at least a second", ago: [0, 0, 599.9], wait: 1),
            Case(name: "attempts made at this very moment count", ago: [0, 0, 0], wait: 600),
        ]
    )
    func waits(_ example: Case) {
        let recent = example.ago.map { Self.now.addingTimeInterval(-$0) }
        let wait = Self.limit.retryAfter(recent: recent, at: Self.now)
        #expect(wait.map { ($0 * 1000).rounded() / 1000 } == example.wait)
    }

    @Test("A limit of no attempts never refuses, rather than refusing everyone")
    func zeroLimit() {
        #expect(AttemptLimit(attempts: 0, window: 600).retryAfter(recent: [Self.now], at: Self.now) == nil)
    }

    @Test("A long key is stored as its hash, so input from outside cannot make a stored key long")
    func longKeysAreHashed() {
        let short = AttemptCounter(.loginAddress, key: "2001:db8::/64", limit: Self.limit)
        #expect(short.key == "2001:db8::/64")
        let long = AttemptCounter(.loginAddress, key: String(repeating: "x", count: 201), limit: Self.limit)
        #expect(long.key.hasPrefix("sha256:"))
        #expect(long.key.utf8.count <= AttemptCounter.maximumKeyLength)
        #expect(long == AttemptCounter(.loginAddress, key: String(repeating: "x", count: 201), limit: Self.limit))
        #expect(long != AttemptCounter(.loginAddress, key: String(repeating: "x", count: 202), limit: Self.limit))
    }
}
