import CountersignCore

/// The stored JSON of an approval requirement, the same on every backend. Kept apart from the
/// core's `Codable` so the stored format changes only by a migration, and rebuilt through the
/// validating initialisers so a hand-edited row cannot smuggle in a zero-approval clause.
public struct StoredRequirement: Codable, Sendable {
    public struct Clause: Codable, Sendable {
        public let count: Int
        public let group: String

        init(count: Int, group: String) {
            self.count = count
            self.group = group
        }

        init(reading reader: inout StoredJSONReader) throws(StoredJSONReader.Failure) {
            var count: Int?
            var group: String?
            try reader.readObject { key, reader throws(StoredJSONReader.Failure) in
                switch key {
                case "count" where count == nil: count = try reader.readCount()
                case "group" where group == nil: group = try reader.readString()
                case "count", "group": throw .duplicateKey
                default: throw .malformed("an unknown key")
                }
            }
            guard let count, let group else { throw .malformed("a clause missing its count or group") }
            self.init(count: count, group: group)
        }
    }

    public let clauses: [Clause]
    public let hardwareKeyRequired: Bool

    enum CodingKeys: String, CodingKey {
        case clauses
        case hardwareKeyRequired = "hardware_key_required"
    }

    public init(_ requirement: ApprovalRequirement) {
        clauses = requirement.clauses.map { Clause(count: $0.count, group: $0.group) }
        hardwareKeyRequired = requirement.hardwareKeyRequired
    }

    /// The JSON `StoredJSON.encode` writes for a requirement: both keys, no other.
    init(reading reader: inout StoredJSONReader) throws(StoredJSONReader.Failure) {
        var clauses: [Clause]?
        var hardwareKeyRequired: Bool?
        try reader.readObject { key, reader throws(StoredJSONReader.Failure) in
            switch key {
            case CodingKeys.clauses.rawValue where clauses == nil:
                var read: [Clause] = []
                try reader.readArray { reader throws(StoredJSONReader.Failure) in read.append(try Clause(reading: &reader)) }
                clauses = read
            case CodingKeys.hardwareKeyRequired.rawValue where hardwareKeyRequired == nil:
                hardwareKeyRequired = try reader.readBool()
            case CodingKeys.clauses.rawValue, CodingKeys.hardwareKeyRequired.rawValue:
                throw .duplicateKey
            default:
                throw .malformed("an unknown key")
            }
        }
        guard let clauses, let hardwareKeyRequired else { throw .malformed("a requirement missing a key") }
        self.clauses = clauses
        self.hardwareKeyRequired = hardwareKeyRequired
    }

    public func requirement() throws(DomainError) -> ApprovalRequirement {
        // The one requirement without a clause, as `ApprovalRequirement.noneNeeded` writes it;
        // which requests may carry it is the request's to check.
        if clauses.isEmpty, !hardwareKeyRequired { return .noneNeeded }
        var built: [ApprovalClause] = []
        for clause in clauses {
            built.append(try ApprovalClause(count: clause.count, group: clause.group))
        }
        return try ApprovalRequirement(clauses: built, hardwareKeyRequired: hardwareKeyRequired)
    }
}
