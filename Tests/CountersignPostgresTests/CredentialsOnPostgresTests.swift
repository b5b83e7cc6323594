@testable import CountersignPostgres
import CountersignCore
import CountersignStore
import Foundation
import Testing

@Suite("Credentials on PostgreSQL", .timeLimit(.minutes(3)))
struct CredentialsOnPostgresTests {
    @Test("issues commit with their events, under serials that only grow")
    func issues() async throws { try await withPostgresStore { try await CredentialStoreContract.issuesCommitWithTheirEventsUnderGrowingSerials($0) } }

    @Test("a refused issue, by the rules or by the store, writes nothing")
    func refusals() async throws { try await withPostgresStore { try await CredentialStoreContract.refusedIssuesWriteNothing($0) } }

    @Test("a revoked request's credentials are listed while they are valid")
    func revocation() async throws { try await withPostgresStore { try await CredentialStoreContract.revokedRequestsListTheirValidCredentials($0) } }

    @Test("two gateways issuing at once for one request take serials of their own")
    func concurrency() async throws {
        try await withTwoGateways { first, second in try await CredentialStoreContract.concurrentIssuesTakeDistinctSerials([first, second]) }
    }

    @Test("an issue fails closed when the audit append fails")
    func failClosed() async throws {
        try await withPostgresStore { store in
            try await CredentialStoreContract.anIssueFailsClosedWithTheAuditLog(
                store,
                breakAudit: { try await store.breakAuditAppends() }, repairAudit: { try await store.repairAuditAppends() }
            )
        }
    }

    @Test("issued credentials cannot be edited or deleted")
    func appendOnly() async throws {
        try await withPostgresStore { store in try await CredentialStoreContract.issuedCredentialsCannotBeEdited(store, execute: store.execute) }
    }

    @Test("a single-use approval's rollout start is kept, and a second is refused")
    func singleUse() async throws { try await withPostgresStore { try await RolloutContract.singleUseStartsAreKeptAndSpent($0) } }

    @Test("an approval that is not single-use records every start")
    func reusable() async throws { try await withPostgresStore { try await RolloutContract.reusableApprovalsRecordEveryStart($0) } }

    @Test("a rollout start commits with its deploy token")
    func startWithToken() async throws { try await withPostgresStore { try await RolloutContract.aStartCommitsWithItsToken($0) } }

    @Test("two gateways spending one single-use approval at once: one start commits")
    func concurrentStarts() async throws {
        try await withTwoGateways { first, second in try await RolloutContract.concurrentStartsSpendOnce([first, second]) }
    }
}
