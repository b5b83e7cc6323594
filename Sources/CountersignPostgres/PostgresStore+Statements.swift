import CountersignCore
import CountersignStore
import Foundation
import PostgresNIO

extension PostgresStore {
    public func answerStatement(
        challengeID: String, person: Username, at now: Date,
        _ verify: @Sendable (StatementChallenge, [EnrolledKey]) throws -> EnrolledKey
    ) async throws -> StatementChallenge {
        try await transaction { connection in
            guard let challenge = try await KeyRows.lockChallenge(challengeID, on: connection, logger: logger),
                  case .statement(let statement) = challenge.purpose else {
                throw StoreError(.notFound, "no statement ceremony \(challengeID)")
            }
            let spent = try challenge.redeem(by: person, at: now)
            let used = try verify(statement, try await KeyRows.keys(of: person, forUpdate: true, on: connection, logger: logger))
            guard used.owner == person else { throw StoreError(.invalidChange, "a statement by \(person) returned another person's key") }
            try await KeyRows.markUsed(spent, on: connection, logger: logger)
            try await KeyRows.persistUse(of: used, on: connection, logger: logger)
            return statement
        }
    }
}
