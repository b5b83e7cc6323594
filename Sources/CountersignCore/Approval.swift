import Foundation

/// How an approval was made.
public enum ApprovalMethod: String, Hashable, Sendable, Codable {
    /// An authenticated session, without a hardware key: only where the policy explicitly allows.
    case session
    /// A touch of an enrolled hardware security key, over a challenge bound to the request's
    /// content (`ApprovalChallenge`); the approval carries its `HardwareKeyEvidence`.
    case hardwareKey = "hardware_key"
}

/// What a hardware-key approval leaves behind: everything an auditor needs to re-derive the
/// challenge from the stored request and re-verify the key's signature, trusting nothing else.
public struct HardwareKeyEvidence: Hashable, Sendable {
    public let credentialID: [UInt8]
    /// The key's COSE public key, as enrolled.
    public let publicKey: [UInt8]
    public let authenticatorData: [UInt8]
    public let clientDataJSON: [UInt8]
    public let signature: [UInt8]
    /// The nonce of the `ApprovalChallenge` the key signed.
    public let nonce: [UInt8]

    public init(credentialID: [UInt8], publicKey: [UInt8], authenticatorData: [UInt8], clientDataJSON: [UInt8], signature: [UInt8], nonce: [UInt8]) {
        self.credentialID = credentialID
        self.publicKey = publicKey
        self.authenticatorData = authenticatorData
        self.clientDataJSON = clientDataJSON
        self.signature = signature
        self.nonce = nonce
    }
}

/// One reviewer's approval. The approver's groups are kept as they were at approval time so that
/// re-evaluating the requirement later gives the same answer whatever happened to membership.
public struct Approval: Hashable, Sendable {
    public let approver: Username
    public let groups: Set<String>
    public let at: Date
    public let method: ApprovalMethod
    /// Present exactly when `method` is `hardwareKey`.
    public let evidence: HardwareKeyEvidence?

    public init(approver: Username, groups: Set<String>, at: Date, method: ApprovalMethod) {
        self.approver = approver
        self.groups = groups
        self.at = at
        self.method = method
        self.evidence = nil
    }

    public init(approver: Username, groups: Set<String>, at: Date, evidence: HardwareKeyEvidence) {
        self.approver = approver
        self.groups = groups
        self.at = at
        self.method = .hardwareKey
        self.evidence = evidence
    }
}

public struct Denial: Hashable, Sendable {
    public let by: Username
    public let reason: String
    public let at: Date

    public init(by: Username, reason: String, at: Date) {
        self.by = by
        self.reason = reason
        self.at = at
    }
}

/// Someone who acts on a request, with the groups they belong to now.
public struct Actor: Hashable, Sendable {
    public let name: Username
    public let groups: Set<String>

    public init(name: Username, groups: Set<String>) {
        self.name = name
        self.groups = groups
    }
}
