@testable import CountersignPostgres
import CountersignCore
import CountersignStore
import Foundation
import Logging
import PostgresTesting
import Testing

/// Content edited behind the store's back, as an operator at a psql prompt could.
private func tamper(_ store: PostgresStore) -> (RequestID) async throws -> Void {
    { id in try await store.execute("UPDATE requests SET reason = 'something else entirely' WHERE id = '\(id.rawValue)'") }
}

@Suite("Requests on PostgreSQL", .timeLimit(.minutes(3)))
struct RequestsOnPostgresTests {
    @Test("a created request reads back equal, and its id is taken once")
    func create() async throws { try await withPostgresStore { try await RequestStoreContract.createdRequestsReadBackAndTakeTheirIDOnce($0) } }

    @Test("every listing filter narrows, newest first")
    func filters() async throws { try await withPostgresStore { try await RequestStoreContract.listingsNarrowByEveryFilter($0) } }

    @Test("the deploy lookup finds exactly its target, newest first")
    func deployLookup() async throws { try await withPostgresStore { try await RequestStoreContract.deployLookupFindsExactlyTheTargetNewestFirst($0) } }

    @Test("request ids are walked in id order, a page at a time")
    func requestIDs() async throws { try await withPostgresStore { try await RequestStoreContract.requestIDsWalkInIDOrder($0) } }

    @Test("search matches %, _ and \\ literally, folds ASCII case only, and covers the target's values")
    func search() async throws { try await withPostgresStore { try await RequestStoreContract.searchMatchesLiterally($0) } }

    @Test("each audience sees exactly what the core's rule lets it")
    func audiences() async throws { try await withPostgresStore { try await RequestStoreContract.audiencesSeeWhatTheCoreAllows($0) } }

    @Test("paging with the keyset cursor walks every request once")
    func cursors() async throws { try await withPostgresStore { try await RequestStoreContract.cursorsWalkEveryRequestOnce($0) } }

    @Test("an update persists the decision with its events, seeing the committed state")
    func update() async throws { try await withPostgresStore { try await RequestStoreContract.updatesPersistTheDecisionWithItsEvents($0) } }

    @Test("a refusing decision is rethrown unchanged and writes nothing")
    func refusal() async throws { try await withPostgresStore { try await RequestStoreContract.aRefusingDecisionWritesNothing($0) } }

    @Test("a recorded approval is never rewritten")
    func approvalsKept() async throws { try await withPostgresStore { try await RequestStoreContract.approvalsAreNeverRewritten($0) } }

    @Test("due requests expire, at most a limit per call, and a tampered one is passed over")
    func expiry() async throws {
        try await withPostgresStore { store in
            try await RequestStoreContract.dueRequestsExpireAndATamperedOneIsPassedOver(store, tamper: tamper(store))
        }
    }

    @Test("a request is not expired half a millisecond before its deadline")
    func expiryPrecision() async throws { try await withPostgresStore { try await RequestStoreContract.aRequestExpiresNotAMomentEarly($0) } }

    @Test("counts cover every kind and state")
    func counts() async throws { try await withPostgresStore { try await RequestStoreContract.countsCoverEveryKindAndState($0) } }

    @Test("approval evidence cannot be edited through the database")
    func evidenceIsAppendOnly() async throws {
        try await withPostgresStore { store in
            try await HardwareKeyStoreContract.aKeyApprovalCommitsWithItsEvidenceOnce(store)
            await #expect(throws: (any Error).self) { try await store.execute("UPDATE approval_evidence SET signature = '\\x00'") }
            await #expect(throws: (any Error).self) { try await store.execute("DELETE FROM approval_evidence") }
        }
    }

    @Test("a row the domain refuses reads as corrupt_row, not a crash")
    func corruptRow() async throws {
        try await withPostgresStore { store in
            let request = try await store.file(try ContractFixtures.deploy(at: Date()))
            try await store.execute("UPDATE requests SET state = 'teleported' WHERE id = '\(request.id.rawValue)'")
            let error = await #expect(throws: StoreError.self) { _ = try await store.request(request.id) }
            #expect(error?.code == .corruptRow)
        }
    }
}

@Suite("Hardware keys on PostgreSQL", .timeLimit(.minutes(3)))
struct HardwareKeysOnPostgresTests {
    @Test("a key is enrolled once with an invite and a challenge, both then spent")
    func enrolment() async throws { try await withPostgresStore { try await HardwareKeyStoreContract.aKeyIsEnrolledOnceWithAnInviteAndAChallenge($0) } }

    @Test("enrolment refusals write nothing and spend nothing")
    func enrolmentRefusals() async throws { try await withPostgresStore { try await HardwareKeyStoreContract.enrolmentRefusalsWriteNothing($0) } }

    @Test("a user holds a bounded number of open challenges")
    func challengeBound() async throws { try await withPostgresStore { try await HardwareKeyStoreContract.aUserHoldsABoundedNumberOfOpenChallenges($0) } }

    @Test("stale and answered challenges are forgotten, live ones kept")
    func staleChallenges() async throws { try await withPostgresStore { try await HardwareKeyStoreContract.staleChallengesAreForgottenAndLiveOnesKept($0) } }

    @Test("keys are removed by an admin, or with a touch of another of the owner's keys")
    func removal() async throws { try await withPostgresStore { try await HardwareKeyStoreContract.keysAreRemovedByAnAdminOrWithATouchOfAnother($0) } }

    @Test("a key approval commits with its evidence and new counter; its challenge is single use")
    func approval() async throws { try await withPostgresStore { try await HardwareKeyStoreContract.aKeyApprovalCommitsWithItsEvidenceOnce($0) } }

    @Test("a refused key approval commits its events and flagged key, then throws")
    func refusedApproval() async throws { try await withPostgresStore { try await HardwareKeyStoreContract.aRefusedKeyApprovalCommitsItsEventsAndFlagThenThrows($0) } }
}

@Suite("Maintenance on PostgreSQL", .timeLimit(.minutes(3)))
struct MaintenanceOnPostgresTests {
    @Test("writability is proved by a committed write")
    func writable() async throws { try await withPostgresStore { try await StoreMaintenanceContract.writabilityIsProvedByAWrite($0) } }

    @Test("a file backup is refused as unsupported, naming the tools that back PostgreSQL up")
    func backup() async throws {
        try await withPostgresStore { store in
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("countersign-backup-\(UUID().uuidString)").path
            let error = await #expect(throws: StoreError.self) { try await store.backup(to: path) }
            #expect(error?.code == .unsupported)
            #expect(error.map { $0.message.contains("pg_dump") && $0.message.contains("pg_basebackup") } == true)
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }
}
