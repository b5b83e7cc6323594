import CountersignCore

/// An approval as the columns of its rows (the approval, and its hardware-key evidence if any),
/// the same on every backend. Approvals are only ever added: `position` keeps their order.
public struct StoredApproval: Sendable {
    /// What a hardware key signed for the approval.
    public struct Evidence: Sendable {
        public var credentialID: [UInt8]
        public var publicKey: [UInt8]
        public var authenticatorData: [UInt8]
        public var clientDataJSON: [UInt8]
        public var signature: [UInt8]
        public var nonce: [UInt8]

        public init(
            credentialID: [UInt8], publicKey: [UInt8], authenticatorData: [UInt8], clientDataJSON: [UInt8], signature: [UInt8], nonce: [UInt8]
        ) {
            self.credentialID = credentialID
            self.publicKey = publicKey
            self.authenticatorData = authenticatorData
            self.clientDataJSON = clientDataJSON
            self.signature = signature
            self.nonce = nonce
        }
    }

    public var requestID: String
    public var position: Int64
    public var approver: String
    /// The JSON list of the approver's groups, sorted.
    public var approverGroups: String
    public var approvedAt: Int64
    public var method: String
    public var evidence: Evidence?

    public init(
        requestID: String, position: Int64, approver: String, approverGroups: String, approvedAt: Int64, method: String, evidence: Evidence?
    ) {
        self.requestID = requestID
        self.position = position
        self.approver = approver
        self.approverGroups = approverGroups
        self.approvedAt = approvedAt
        self.method = method
        self.evidence = evidence
    }

    public init(_ approval: Approval, of request: RequestID, at position: Int) {
        self.init(
            requestID: request.rawValue, position: Int64(position), approver: approval.approver.rawValue,
            approverGroups: StoredJSON.encode(approval.groups.sorted()), approvedAt: approval.at.millisecondsSinceEpoch,
            method: approval.method.rawValue,
            evidence: approval.evidence.map {
                Evidence(
                    credentialID: $0.credentialID, publicKey: $0.publicKey, authenticatorData: $0.authenticatorData,
                    clientDataJSON: $0.clientDataJSON, signature: $0.signature, nonce: $0.nonce
                )
            }
        )
    }

    /// The approvals a change adds to `previous` (all of them for a new request), with their
    /// positions. Refused with `invalid_change` when the change would alter one already recorded:
    /// an approval once recorded is evidence.
    public static func added(to request: AccessRequest, from previous: AccessRequest?) throws(StoreError) -> [StoredApproval] {
        let kept = previous?.approvals ?? []
        guard request.approvals.starts(with: kept) else {
            throw StoreError(.invalidChange, "a change to request \(request.id) may add approvals but not alter recorded ones")
        }
        return request.approvals.enumerated().dropFirst(kept.count).map { StoredApproval($0.element, of: request.id, at: $0.offset) }
    }

    public func restore() throws(StoreError) -> Approval {
        let row = RowRestorer(table: "approvals", key: "\(requestID)/\(position)")
        guard let approvalMethod = ApprovalMethod(rawValue: method) else { throw row.corrupt("unknown approval method") }
        let approver = try row.domain(approver, "approver", Username.init)
        let groups = Set(try row.json(approverGroups, "approver_groups") { reader throws(StoredJSONReader.Failure) in try reader.readStringList() })
        let at = row.time(approvedAt)
        switch (approvalMethod, evidence) {
        case (.hardwareKey, let evidence?):
            return Approval(approver: approver, groups: groups, at: at, evidence: HardwareKeyEvidence(
                credentialID: evidence.credentialID, publicKey: evidence.publicKey, authenticatorData: evidence.authenticatorData,
                clientDataJSON: evidence.clientDataJSON, signature: evidence.signature,
                nonce: try row.bytes(evidence.nonce, "nonce", count: 32)
            ))
        case (.session, nil):
            return Approval(approver: approver, groups: groups, at: at, method: .session)
        default:
            throw row.corrupt("a \(method) approval \(evidence == nil ? "without" : "with") hardware-key evidence")
        }
    }

    /// Approvals read for several requests, restored and grouped by request id in the order given.
    public static func restoreByRequest(_ stored: [StoredApproval]) throws(StoreError) -> [String: [Approval]] {
        var approvals: [String: [Approval]] = [:]
        for approval in stored {
            approvals[approval.requestID, default: []].append(try approval.restore())
        }
        return approvals
    }
}
