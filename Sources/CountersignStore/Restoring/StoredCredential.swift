import CountersignCore

/// An issued credential as the columns of its row, the same on every backend.
public struct StoredCredential: Sendable {
    public static let columns = "serial, kind, request_id, holder, principal, fingerprint, issued_at, valid_after, valid_before"

    public var serial: Int64
    public var kind: String
    public var requestID: String
    public var holder: String
    public var principal: String
    public var fingerprint: String
    public var issuedAt: Int64
    public var validAfter: Int64
    public var validBefore: Int64

    public init(
        serial: Int64, kind: String, requestID: String, holder: String, principal: String, fingerprint: String,
        issuedAt: Int64, validAfter: Int64, validBefore: Int64
    ) {
        self.serial = serial
        self.kind = kind
        self.requestID = requestID
        self.holder = holder
        self.principal = principal
        self.fingerprint = fingerprint
        self.issuedAt = issuedAt
        self.validAfter = validAfter
        self.validBefore = validBefore
    }

    public init(_ credential: IssuedCredential) {
        let grant = credential.grant
        self.init(
            serial: credential.serial.stored, kind: grant.kind.rawValue, requestID: grant.requestID.rawValue,
            holder: grant.holder.rawValue, principal: grant.principal, fingerprint: credential.fingerprint,
            issuedAt: credential.issuedAt.millisecondsSinceEpoch, validAfter: grant.validAfter.millisecondsSinceEpoch,
            validBefore: grant.validBefore.millisecondsSinceEpoch
        )
    }

    public func restore() throws(StoreError) -> IssuedCredential {
        let row = RowRestorer(table: "credentials", key: String(serial))
        guard let serial = CredentialSerial(stored: serial) else { throw row.corrupt("serial is not positive") }
        guard let kind = CredentialKind(rawValue: kind) else { throw row.corrupt("kind \(kind) is not a credential kind") }
        let requestID = try row.domain(requestID, "request_id", RequestID.init)
        let holder = try row.domain(holder, "holder", Username.init)
        return try row.build("credential") { () throws(DomainError) in
            let grant = try CredentialGrant(
                kind: kind, requestID: requestID, holder: holder, principal: principal,
                validAfter: row.time(validAfter), validBefore: row.time(validBefore)
            )
            return try IssuedCredential(serial: serial, grant: grant, fingerprint: fingerprint, issuedAt: row.time(issuedAt))
        }
    }
}
