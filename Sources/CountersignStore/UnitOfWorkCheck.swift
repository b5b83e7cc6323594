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
        return self
    }
}
