@testable import CountersignPostgres
import CountersignSQLite
import CountersignStore
import Foundation
import Logging
import PostgresTesting
import Testing

@Suite("The attempt ledger on PostgreSQL", .timeLimit(.minutes(3)))
struct AttemptLedgerOnPostgresTests {
    @Test("admissions stop at the limit until the window passes, and a refusal counts nothing")
    func limit() async throws { try await withPostgresStore(AttemptLedgerContract.admissionsStopAtTheLimitUntilTheWindowPasses) }

    @Test("a refusal names the first counter at its limit and the longest wait")
    func longestWait() async throws { try await withPostgresStore(AttemptLedgerContract.theLongestWaitIsAnsweredWithTheFirstCounterAtItsLimit) }

    @Test("a withdrawn attempt no longer counts, and a reset forgets the counter")
    func withdraw() async throws { try await withPostgresStore(AttemptLedgerContract.aWithdrawnAttemptNoLongerCountsAndAResetForgetsTheCounter) }

    @Test("counters are kept apart by scope and key")
    func apart() async throws { try await withPostgresStore(AttemptLedgerContract.countersAreKeptApartByScopeAndKey) }

    @Test("stale attempts are forgotten")
    func stale() async throws { try await withPostgresStore(AttemptLedgerContract.staleAttemptsAreForgotten) }

    @Test("three gateways admitting at once on one database never pass the limit together")
    func acrossGateways() async throws {
        try await withPostgresStore { first in
            let configuration = try await PostgresServer.configuration(database: try await first.currentDatabase())
            let others = (0..<2).map { _ in PostgresStore(configuration: configuration, logger: Logger(label: "gateway")) }
            let pools = others.map { store in Task { await store.run() } }
            defer { pools.forEach { $0.cancel() } }
            try await AttemptLedgerContract.concurrentAdmissionsNeverPassTheLimit([first] + others)
        }
    }
}

@Suite("The attempt ledger on SQLite")
struct AttemptLedgerOnSQLiteTests {
    @Test("admissions stop at the limit until the window passes, and a refusal counts nothing")
    func limit() async throws { try await withSQLiteStore(AttemptLedgerContract.admissionsStopAtTheLimitUntilTheWindowPasses) }

    @Test("a refusal names the first counter at its limit and the longest wait")
    func longestWait() async throws { try await withSQLiteStore(AttemptLedgerContract.theLongestWaitIsAnsweredWithTheFirstCounterAtItsLimit) }

    @Test("a withdrawn attempt no longer counts, and a reset forgets the counter")
    func withdraw() async throws { try await withSQLiteStore(AttemptLedgerContract.aWithdrawnAttemptNoLongerCountsAndAResetForgetsTheCounter) }

    @Test("counters are kept apart by scope and key")
    func apart() async throws { try await withSQLiteStore(AttemptLedgerContract.countersAreKeptApartByScopeAndKey) }

    @Test("stale attempts are forgotten")
    func stale() async throws { try await withSQLiteStore(AttemptLedgerContract.staleAttemptsAreForgotten) }

    @Test("admissions racing on one file never pass the limit together")
    func concurrently() async throws { try await withSQLiteStore { try await AttemptLedgerContract.concurrentAdmissionsNeverPassTheLimit([$0]) } }
}
