import Foundation

/// What an approved request yields to its requester.
public enum CredentialKind: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// An OpenSSH user certificate (PROTOCOL.certkeys) for the approved login.
    case sshCertificate = "ssh_certificate"
    /// A signed token deploy tooling checks before a rollout.
    case deployToken = "deploy_token"

    /// The one kind a request of `kind` may yield.
    public init(yieldedBy kind: RequestKind) {
        switch kind {
        case .ssh, .breakGlass: self = .sshCertificate
        case .deploy: self = .deployToken
        }
    }

    public var description: String { rawValue }
}

/// The number of an issued credential: one increasing sequence over every credential the gateway
/// issues, so that a revocation list names any of them by number (an OpenSSH certificate carries
/// it, and PROTOCOL.krl revokes by it). Positive, and within what a signed 64-bit column holds.
public struct CredentialSerial: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init?(rawValue: UInt64) {
        guard rawValue > 0, rawValue <= UInt64(Int64.max) else { return nil }
        self.rawValue = rawValue
    }

    /// A serial as a database column holds it.
    public init?(stored: Int64) {
        guard let value = UInt64(exactly: stored) else { return nil }
        self.init(rawValue: value)
    }

    public var stored: Int64 { Int64(rawValue) }

    public var description: String { String(rawValue) }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A credential the gateway issued, as it is kept: what revocation and audit need, never the
/// credential itself (the holder has it) and never a secret.
public struct IssuedCredential: Hashable, Sendable {
    public let serial: CredentialSerial
    public let grant: CredentialGrant
    /// SHA-256 of the credential's exact bytes (the certificate blob, the token), in hex: it ties
    /// a credential shown later (in an sshd log, by deploy tooling) to this row.
    public let fingerprint: String
    public let issuedAt: Date

    public init(serial: CredentialSerial, grant: CredentialGrant, fingerprint: String, issuedAt: Date) throws(DomainError) {
        guard fingerprint.utf8.count == 64, fingerprint.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            throw DomainError(.invalidField, "a credential's fingerprint is the hex of its SHA-256")
        }
        self.serial = serial
        self.grant = grant
        self.fingerprint = fingerprint
        self.issuedAt = issuedAt.truncatedToMilliseconds
    }

    public var requestID: RequestID { grant.requestID }
}

/// What a credential for an approved request may say, decided by `CredentialRules.grant` before
/// anything is signed: the signer adds only the serial the store allocated.
public struct CredentialGrant: Hashable, Sendable {
    public let kind: CredentialKind
    public let requestID: RequestID
    public let holder: Username
    /// Whom the credential lets its holder act as: an SSH certificate's one principal (the
    /// approved login), a deploy token's service.
    public let principal: String
    /// Whole seconds, as certificates and tokens carry them.
    public let validAfter: Date
    public let validBefore: Date

    public init(kind: CredentialKind, requestID: RequestID, holder: Username, principal: String, validAfter: Date, validBefore: Date) throws(DomainError) {
        guard validAfter < validBefore else {
            throw DomainError(.invalidField, "a credential must be valid for some time: valid after \(validAfter) is not before valid before \(validBefore)")
        }
        try FieldRules.checkName(principal, field: "principal")
        self.kind = kind
        self.requestID = requestID
        self.holder = holder
        self.principal = principal
        self.validAfter = validAfter
        self.validBefore = validBefore
    }

    public func isValid(at time: Date) -> Bool {
        validAfter <= time && time < validBefore
    }
}
