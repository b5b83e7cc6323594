@testable import CountersignPostgres
import CountersignCore
import CountersignStore
import Foundation
import Testing

@Suite("Machine tokens on PostgreSQL", .timeLimit(.minutes(3)))
struct MachineTokensOnPostgresTests {
    @Test("created tokens read back, and are found by their secret's hash")
    func create() async throws { try await withPostgresStore { try await MachineTokenStoreContract.createdTokensReadBackAndAreFoundByTheirHash($0) } }

    @Test("a name is taken once, even after its token is revoked")
    func names() async throws { try await withPostgresStore { try await MachineTokenStoreContract.aNameIsTakenOnceEvenAfterRevocation($0) } }

    @Test("a revocation is recorded once")
    func revocation() async throws { try await withPostgresStore { try await MachineTokenStoreContract.aRevocationIsRecordedOnce($0) } }

    @Test("a refused revocation writes nothing")
    func refusals() async throws { try await withPostgresStore { try await MachineTokenStoreContract.refusedRevocationsWriteNothing($0) } }

    @Test("an expired token is still found, and the rule refuses it")
    func expiry() async throws { try await withPostgresStore { try await MachineTokenStoreContract.anExpiredTokenIsStillFoundAndThenRefused($0) } }

    @Test("making and revoking tokens fail closed when the audit append fails")
    func failClosed() async throws {
        try await withPostgresStore { store in
            try await MachineTokenStoreContract.tokensFailClosedWithTheAuditLog(
                store,
                breakAudit: { try await store.breakAuditAppends() }, repairAudit: { try await store.repairAuditAppends() }
            )
        }
    }

    @Test("tokens cannot be deleted, edited or un-revoked")
    func appendOnly() async throws {
        try await withPostgresStore { store in try await MachineTokenStoreContract.tokensCannotBeDeletedOrEdited(store, execute: store.execute) }
    }

    @Test("two gateways making one name, and revoking one token, at once: one token, one revocation")
    func concurrency() async throws {
        try await withTwoGateways { first, second in try await MachineTokenStoreContract.concurrentCreationsAndRevocationsHappenOnce([first, second]) }
    }
}
