import CountersignCore
import CountersignStore
import Foundation
import GRDB

extension SQLiteStore {
    public func answerStatement(
        challengeID: String, person: Username, at now: Date,
        _ verify: @Sendable (StatementChallenge, [EnrolledKey]) throws -> EnrolledKey
    ) async throws -> StatementChallenge {
        try await write { db in
            guard let challenge = try KeyRows.challenge(challengeID, in: db), case .statement(let statement) = challenge.purpose else {
                throw StoreError(.notFound, "no statement ceremony \(challengeID)")
            }
            let spent = try challenge.redeem(by: person, at: now)
            let used = try verify(statement, try KeyRows.keys(of: person, in: db))
            guard used.owner == person else { throw StoreError(.invalidChange, "a statement by \(person) returned another person's key") }
            try KeyRows.markUsed(spent, in: db)
            try KeyRows.persistUse(of: used, in: db)
            return statement
        }
    }
}
