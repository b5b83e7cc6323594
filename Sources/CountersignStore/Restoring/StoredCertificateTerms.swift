import CountersignCore

/// The stored JSON of a request's certificate terms, the same on every backend, rebuilt through
/// the core's checks so that a hand-edited row cannot carry terms no policy could set. A row from
/// before terms existed has none and gets the standard ones, which is what its rule gave then.
public struct StoredCertificateTerms: Codable, Sendable {
    public let lifetimeSeconds: Int
    public let sourceAddress: [String]
    public let forceCommand: String?
    public let forwarding: [String]
    /// Present only when the session is recorded, so that the rows and digests of terms from
    /// before recordings read and hash as they did.
    public let recording: String?

    enum CodingKeys: String, CodingKey {
        case lifetimeSeconds = "lifetime_seconds"
        case sourceAddress = "source_address"
        case forceCommand = "force_command"
        case forwarding
        case recording
    }

    public init(_ terms: CertificateTerms) {
        lifetimeSeconds = terms.lifetimeSeconds
        sourceAddress = terms.sourceAddresses.map(\.description)
        forceCommand = terms.forceCommand
        forwarding = terms.forwarding.sorted().map(\.rawValue)
        recording = terms.recording == .off ? nil : terms.recording.rawValue
    }

    /// The JSON `StoredJSON.encode` writes: every key but `force_command` and `recording`, which
    /// are there only when set; no other key.
    init(reading reader: inout StoredJSONReader) throws(StoredJSONReader.Failure) {
        var lifetimeSeconds: Int?
        var sourceAddress: [String]?
        var forceCommand: String?
        var forwarding: [String]?
        var recording: String?
        try reader.readObject { key, reader throws(StoredJSONReader.Failure) in
            switch CodingKeys(rawValue: key) {
            case .lifetimeSeconds where lifetimeSeconds == nil: lifetimeSeconds = try reader.readCount()
            case .sourceAddress where sourceAddress == nil: sourceAddress = try reader.readStringList()
            case .forceCommand where forceCommand == nil: forceCommand = try reader.readString()
            case .forwarding where forwarding == nil: forwarding = try reader.readStringList()
            case .recording where recording == nil: recording = try reader.readString()
            case .some: throw .duplicateKey
            case nil: throw .malformed("an unknown key")
            }
        }
        guard let lifetimeSeconds, let sourceAddress, let forwarding else { throw .malformed("certificate terms missing a key") }
        self.lifetimeSeconds = lifetimeSeconds
        self.sourceAddress = sourceAddress
        self.forceCommand = forceCommand
        self.forwarding = forwarding
        self.recording = recording
    }

    public func terms() throws(DomainError) -> CertificateTerms {
        var addresses: [AddressBlock] = []
        for text in sourceAddress {
            let block = try AddressBlock(text)
            // Only the canonical spelling is ever written: another is an edit.
            guard block.description == text else { throw DomainError(.invalidField, "a source address not in its canonical spelling") }
            addresses.append(block)
        }
        var permissions: Set<CertificateTerms.Forwarding> = []
        for name in forwarding {
            guard let permission = CertificateTerms.Forwarding(rawValue: name), permissions.insert(permission).inserted else {
                throw DomainError(.invalidField, "an unknown or repeated forwarding")
            }
        }
        // `off` is never written: spelled out, it is an edit.
        let kept = try recording.map { name throws(DomainError) in
            guard let kept = CertificateTerms.Recording(rawValue: name), kept != .off else { throw DomainError(.invalidField, "an unknown recording") }
            return kept
        } ?? .off
        return try CertificateTerms(lifetimeSeconds: lifetimeSeconds, sourceAddresses: addresses, forceCommand: forceCommand, forwarding: permissions, recording: kept)
    }
}
