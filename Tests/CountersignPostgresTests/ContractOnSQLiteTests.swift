import CountersignCore
import CountersignSQLite
import CountersignStore
import Foundation
import GRDB
import Testing

/// Runs `body` with a fresh SQLite store in a directory of its own, and its path.
func withSQLiteStore(_ body: (SQLiteStore, String) async throws -> Void) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("countersign-contract-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/gateway.sqlite"
    try await body(try SQLiteStore.open(path: path), path)
}

func withSQLiteStore(_ body: (SQLiteStore) async throws -> Void) async throws {
    try await withSQLiteStore { store, _ in try await body(store) }
}

/// The same contract functions on the embedded backend: what PostgreSQL is held to is what
/// SQLite already does.
@Suite("The audit and session contract on SQLite")
struct ContractOnSQLiteTests {
    @Test("appended events chain from the genesis hash and read back exactly")
    func appendAndRead() async throws { try await withSQLiteStore(AuditLogContract.appendedEventsChainAndReadBack) }

    @Test("any text but NUL, control and format characters among it, is kept as it came")
    func anyText() async throws { try await withSQLiteStore(AuditLogContract.anyTextRoundTrips) }

    @Test("a page of records is bounded, and any start is answered")
    func pages() async throws { try await withSQLiteStore(AuditLogContract.pagesAreBounded) }

    @Test("a checkpoint signs the head once, and verification holds the log to it")
    func checkpoints() async throws { try await withSQLiteStore(AuditLogContract.checkpointsSignTheHeadOnce) }

    @Test("periodic checkpoints keep their spacing; one at shutdown does not wait for it")
    func checkpointSpacing() async throws { try await withSQLiteStore { try await AuditLogContract.checkpointsKeepTheirSpacing([$0]) } }

    @Test("sessions: lifetime, a taken token, logout, expiry")
    func sessions() async throws {
        try await withSQLiteStore(SessionStoreContract.aSessionLivesUntilItExpires)
        try await withSQLiteStore(SessionStoreContract.aTokenIsTakenOnce)
        try await withSQLiteStore(SessionStoreContract.logoutEndsTheSessionOnce)
        try await withSQLiteStore(SessionStoreContract.expiredSessionsAreForgotten)
    }
}

@Suite("The request contract on SQLite")
struct RequestContractOnSQLiteTests {
    @Test("a created request reads back equal, and its id is taken once")
    func create() async throws { try await withSQLiteStore(RequestStoreContract.createdRequestsReadBackAndTakeTheirIDOnce) }

    @Test("every listing filter narrows, newest first")
    func filters() async throws { try await withSQLiteStore(RequestStoreContract.listingsNarrowByEveryFilter) }

    @Test("the deploy lookup finds exactly its target, newest first")
    func deployLookup() async throws { try await withSQLiteStore(RequestStoreContract.deployLookupFindsExactlyTheTargetNewestFirst) }

    @Test("request ids are walked in id order, a page at a time")
    func requestIDs() async throws { try await withSQLiteStore(RequestStoreContract.requestIDsWalkInIDOrder) }

    @Test("search matches %, _ and \\ literally, folds ASCII case only, and covers the target's values")
    func search() async throws { try await withSQLiteStore(RequestStoreContract.searchMatchesLiterally) }

    @Test("each audience sees exactly what the core's rule lets it")
    func audiences() async throws { try await withSQLiteStore(RequestStoreContract.audiencesSeeWhatTheCoreAllows) }

    @Test("paging with the keyset cursor walks every request once")
    func cursors() async throws { try await withSQLiteStore(RequestStoreContract.cursorsWalkEveryRequestOnce) }

    @Test("an update persists the decision with its events, seeing the committed state")
    func update() async throws { try await withSQLiteStore(RequestStoreContract.updatesPersistTheDecisionWithItsEvents) }

    @Test("a refusing decision is rethrown unchanged and writes nothing")
    func refusal() async throws { try await withSQLiteStore(RequestStoreContract.aRefusingDecisionWritesNothing) }

    @Test("a recorded approval is never rewritten")
    func approvalsKept() async throws { try await withSQLiteStore(RequestStoreContract.approvalsAreNeverRewritten) }

    @Test("due requests expire, at most a limit per call, and a tampered one is passed over")
    func expiry() async throws {
        try await withSQLiteStore { store, path in
            try await RequestStoreContract.dueRequestsExpireAndATamperedOneIsPassedOver(store) { id in
                // A second connection, as an operator with the sqlite3 shell would have.
                try DatabaseQueue(path: path).write { db in
                    try db.execute(sql: "UPDATE requests SET reason = 'something else entirely' WHERE id = ?", arguments: [id.rawValue])
                }
            }
        }
    }

    @Test("a request is not expired half a millisecond before its deadline")
    func expiryPrecision() async throws { try await withSQLiteStore(RequestStoreContract.aRequestExpiresNotAMomentEarly) }

    @Test("counts cover every kind and state")
    func counts() async throws { try await withSQLiteStore(RequestStoreContract.countsCoverEveryKindAndState) }
}

@Suite("The hardware-key and maintenance contract on SQLite")
struct HardwareKeyContractOnSQLiteTests {
    @Test("a key is enrolled once with an invite and a challenge, both then spent")
    func enrolment() async throws { try await withSQLiteStore(HardwareKeyStoreContract.aKeyIsEnrolledOnceWithAnInviteAndAChallenge) }

    @Test("enrolment refusals write nothing and spend nothing")
    func enrolmentRefusals() async throws { try await withSQLiteStore(HardwareKeyStoreContract.enrolmentRefusalsWriteNothing) }

    @Test("a user holds a bounded number of open challenges")
    func challengeBound() async throws { try await withSQLiteStore(HardwareKeyStoreContract.aUserHoldsABoundedNumberOfOpenChallenges) }

    @Test("stale and answered challenges are forgotten, live ones kept")
    func staleChallenges() async throws { try await withSQLiteStore(HardwareKeyStoreContract.staleChallengesAreForgottenAndLiveOnesKept) }

    @Test("keys are removed by an admin, or with a touch of another of the owner's keys")
    func removal() async throws { try await withSQLiteStore(HardwareKeyStoreContract.keysAreRemovedByAnAdminOrWithATouchOfAnother) }

    @Test("a key approval commits with its evidence and new counter; its challenge is single use")
    func approval() async throws { try await withSQLiteStore(HardwareKeyStoreContract.aKeyApprovalCommitsWithItsEvidenceOnce) }

    @Test("a refused key approval commits its events and flagged key, then throws")
    func refusedApproval() async throws { try await withSQLiteStore(HardwareKeyStoreContract.aRefusedKeyApprovalCommitsItsEventsAndFlagThenThrows) }

    @Test("writability is proved by a committed write")
    func writable() async throws { try await withSQLiteStore(StoreMaintenanceContract.writabilityIsProvedByAWrite) }
}

@Suite("The credential contract on SQLite")
struct CredentialContractOnSQLiteTests {
    /// SQL through a second connection, as an operator with the sqlite3 shell would run it.
    private func execute(_ sql: String, at path: String) throws {
        try DatabaseQueue(path: path).write { db in try db.execute(sql: sql) }
    }

    @Test("issues commit with their events, under serials that only grow")
    func issues() async throws { try await withSQLiteStore(CredentialStoreContract.issuesCommitWithTheirEventsUnderGrowingSerials) }

    @Test("a refused issue, by the rules or by the store, writes nothing")
    func refusals() async throws { try await withSQLiteStore(CredentialStoreContract.refusedIssuesWriteNothing) }

    @Test("a revoked request's credentials are listed while they are valid")
    func revocation() async throws { try await withSQLiteStore(CredentialStoreContract.revokedRequestsListTheirValidCredentials) }

    @Test("issues made at once take serials of their own")
    func concurrency() async throws { try await withSQLiteStore { try await CredentialStoreContract.concurrentIssuesTakeDistinctSerials([$0]) } }

    @Test("an issue fails closed when the audit append fails")
    func failClosed() async throws {
        try await withSQLiteStore { store, path in
            try await CredentialStoreContract.anIssueFailsClosedWithTheAuditLog(
                store,
                breakAudit: { try SQLiteAuditOutage.breakAppends(at: path) }, repairAudit: { try SQLiteAuditOutage.repair(at: path) }
            )
        }
    }

    @Test("issued credentials cannot be edited or deleted")
    func appendOnly() async throws {
        try await withSQLiteStore { store, path in
            try await CredentialStoreContract.issuedCredentialsCannotBeEdited(store) { try execute($0, at: path) }
        }
    }

    @Test("a single-use approval's rollout start is kept, and a second is refused")
    func singleUse() async throws { try await withSQLiteStore(RolloutContract.singleUseStartsAreKeptAndSpent) }

    @Test("an approval that is not single-use records every start")
    func reusable() async throws { try await withSQLiteStore(RolloutContract.reusableApprovalsRecordEveryStart) }

    @Test("a rollout start commits with its deploy token")
    func startWithToken() async throws { try await withSQLiteStore(RolloutContract.aStartCommitsWithItsToken) }

    @Test("starts made at once spend a single-use approval once")
    func concurrentStarts() async throws { try await withSQLiteStore { try await RolloutContract.concurrentStartsSpendOnce([$0]) } }
}
