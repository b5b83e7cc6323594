import CountersignCore
import CountersignStore
import Foundation
import Testing

/// What every backend's attempt ledger must do, against the protocol alone, given a fresh store.
enum AttemptLedgerContract {
    static let limit = AttemptLimit(attempts: 3, window: 600)
    static let alice = AttemptCounter(.loginUser, key: "alice", limit: limit)
    static let address = AttemptCounter(.loginAddress, key: "192.0.2.7", limit: AttemptLimit(attempts: 5, window: 900))

    static func admissionsStopAtTheLimitUntilTheWindowPasses(_ ledger: some AttemptLedger) async throws {
        let clock = ManualClock()
        for _ in 0..<3 {
            guard case .admitted = try await ledger.admit([alice, address], at: clock.now()) else {
                Issue.record("an attempt below the limit was refused")
                return
            }
            clock.advance(by: 10)
        }
        // The first attempt was at t=0; it leaves the 600 s window at t=600.
        #expect(try await ledger.admit([alice, address], at: clock.now()) == .refused(alice, retryAfter: 570))
        #expect(try await ledger.retryAfter(alice, at: clock.now()) == 570)
        // A refusal counts nothing, on any counter.
        #expect(try await ledger.retryAfter(address, at: clock.now()) == nil)
        clock.advance(by: 570)
        guard case .admitted = try await ledger.admit([alice], at: clock.now()) else {
            Issue.record("an attempt after the window was refused")
            return
        }
        #expect(try await ledger.retryAfter(address, at: clock.now()) == nil, "three attempts of five on the address")
    }

    static func theLongestWaitIsAnsweredWithTheFirstCounterAtItsLimit(_ ledger: some AttemptLedger) async throws {
        let clock = ManualClock()
        for _ in 0..<5 { try await ledger.record(address, at: clock.now()) }
        clock.advance(by: 100)
        for _ in 0..<3 { try await ledger.record(alice, at: clock.now()) }
        // alice waits 600 s from t=100, the address 900 s from t=0: the refusal names alice
        // (first in the list) and gives the longer wait.
        #expect(try await ledger.admit([alice, address], at: clock.now()) == .refused(alice, retryAfter: 800))
    }

    static func aWithdrawnAttemptNoLongerCountsAndAResetForgetsTheCounter(_ ledger: some AttemptLedger) async throws {
        let clock = ManualClock()
        let pair = AttemptCounter(.loginUserAtAddress, key: "alice@192.0.2.7", limit: limit)
        try await ledger.record(alice, at: clock.now())
        try await ledger.record(alice, at: clock.now())
        try await ledger.record(pair, at: clock.now())
        guard case .admitted(let receipt) = try await ledger.admit([pair, alice], at: clock.now()) else {
            Issue.record("refused below the limit")
            return
        }
        #expect(try await ledger.retryAfter(alice, at: clock.now()) != nil)
        try await ledger.withdraw(receipt, from: [alice], resetting: [pair])
        // Only the withdrawn attempt went: the two recorded before it at the same moment stay.
        #expect(try await ledger.retryAfter(alice, at: clock.now()) == nil)
        try await ledger.record(alice, at: clock.now())
        #expect(try await ledger.retryAfter(alice, at: clock.now()) == 600)
        for _ in 0..<2 { try await ledger.record(pair, at: clock.now()) }
        #expect(try await ledger.retryAfter(pair, at: clock.now()) == nil, "the reset forgot the pair's earlier attempts")
        // Withdrawing again, or from a counter it never counted on, changes nothing.
        try await ledger.withdraw(receipt, from: [alice, address], resetting: [])
        #expect(try await ledger.retryAfter(alice, at: clock.now()) == 600)
    }

    static func countersAreKeptApartByScopeAndKey(_ ledger: some AttemptLedger) async throws {
        let clock = ManualClock()
        let approvals = AttemptCounter(.keyApprovalRefusals, key: "alice", limit: limit)
        let bob = AttemptCounter(.loginUser, key: "bob", limit: limit)
        for _ in 0..<3 { try await ledger.record(alice, at: clock.now()) }
        #expect(try await ledger.retryAfter(alice, at: clock.now()) != nil)
        #expect(try await ledger.retryAfter(approvals, at: clock.now()) == nil)
        #expect(try await ledger.retryAfter(bob, at: clock.now()) == nil)
        // Keys are compared exactly: folding case is the caller's business (`SessionAuthority`).
        #expect(try await ledger.retryAfter(AttemptCounter(.loginUser, key: "Alice", limit: limit), at: clock.now()) == nil)
    }

    static func staleAttemptsAreForgotten(_ ledger: some AttemptLedger) async throws {
        let clock = ManualClock()
        for _ in 0..<3 { try await ledger.record(alice, at: clock.now()) }
        clock.advance(by: 100)
        try await ledger.record(address, at: clock.now())
        #expect(try await ledger.deleteAttempts(before: clock.now()) == 3)
        #expect(try await ledger.retryAfter(alice, at: clock.now()) == nil)
        #expect(try await ledger.deleteAttempts(before: clock.now()) == 0)
        #expect(try await ledger.deleteAttempts(before: clock.now().addingTimeInterval(1)) == 1)
    }

    /// `ledgers` share one database: attempts admitted at once on all of them never exceed the limit.
    static func concurrentAdmissionsNeverPassTheLimit(_ ledgers: [any AttemptLedger]) async throws {
        let now = Date(millisecondsSinceEpoch: 1_800_000_000_000)
        let admitted = try await withThrowingTaskGroup(of: Int.self) { group in
            for ledger in ledgers {
                for _ in 0..<8 {
                    group.addTask {
                        if case .admitted = try await ledger.admit([address, alice], at: now) { return 1 }
                        return 0
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(admitted == limit.attempts)
    }
}
