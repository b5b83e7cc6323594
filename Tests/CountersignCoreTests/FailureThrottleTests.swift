import CountersignCore
import Foundation
import Testing

@Suite("FailureThrottle")
struct FailureThrottleTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)
    static let limit = FailureThrottle.Limit(failures: 2, window: 600)

    @Test("A withdrawn failure no longer counts, and only the one recorded at that time is withdrawn")
    func withdrawnFailureNoLongerCounts() {
        var throttle = FailureThrottle(limit: Self.limit)
        throttle.recordFailure("alice", at: Self.start)
        throttle.recordFailure("alice", at: Self.start + 1)
        #expect(throttle.retryAfter("alice", at: Self.start + 2) != nil)
        throttle.withdrawFailure("alice", recordedAt: Self.start + 1)
        #expect(throttle.retryAfter("alice", at: Self.start + 2) == nil)
        throttle.withdrawFailure("alice", recordedAt: Self.start + 5)
        throttle.recordFailure("alice", at: Self.start + 3)
        #expect(throttle.retryAfter("alice", at: Self.start + 4) != nil)
    }

    @Test("A full table of live keys forgets its stalest tenth to make room, and keeps the recent ones")
    func fullTableEvictsTheStalest() {
        var throttle = FailureThrottle(limit: Self.limit, capacity: 10)
        for index in 0..<10 {
            throttle.recordFailure("k\(index)", at: Self.start + Double(index))
            throttle.recordFailure("k\(index)", at: Self.start + Double(index))
        }
        throttle.recordFailure("new", at: Self.start + 20)
        #expect(throttle.retryAfter("k0", at: Self.start + 21) == nil)
        #expect((1..<10).allSatisfy { throttle.retryAfter("k\($0)", at: Self.start + 21) != nil })
    }
}
