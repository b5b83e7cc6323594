import CountersignCore

extension RequestChange {
    /// The unit of work a decision returned, held to what the store asked for before any of it is
    /// written: the same request, and credentials only under the serial the store allocated.
    public func checked(for id: RequestID, allocated serial: CredentialSerial? = nil) throws(StoreError) -> RequestChange {
        guard request.id == id else {
            throw StoreError(.invalidChange, "a change to request \(id) returned request \(request.id)")
        }
        guard issued.allSatisfy({ $0.requestID == id }), issued.map(\.serial) == (serial.map { [$0] } ?? []) else {
            if let serial {
                throw StoreError(.invalidChange, "an issue for request \(id) must yield one credential, under serial \(serial)")
            }
            throw StoreError(.invalidChange, "a change to request \(id) cannot issue a credential: only an issue allocates a serial")
        }
        guard recordings.allSatisfy({ $0.recording.requestID == id && $0.recording.serial == serial }), recordings.count <= 1 else {
            throw StoreError(.invalidChange, "a change to request \(id) may open one recording, for the credential it issues")
        }
        return self
    }
}

extension RequestChange {
    /// The unit of work of an issue, checked as `checked(for:allocated:)` and further: it leaves
    /// the request as it was, except that it may record the rollout start the credential comes
    /// with (`DeployGate.onlyStartsRollout`).
    public func checkedIssue(for id: RequestID, replacing current: AccessRequest, allocated serial: CredentialSerial) throws(StoreError) -> RequestChange {
        let change = try checked(for: id, allocated: serial)
        guard change.request == current || DeployGate.onlyStartsRollout(change.request, from: current) else {
            throw StoreError(.invalidChange, "an issue for request \(id) must leave the request as it is, but for the rollout start it comes with")
        }
        return change
    }
}
