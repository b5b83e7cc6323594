/// Authenticator data (WebAuthn Level 3 §6.1): what the authenticator itself signs.
public struct AuthenticatorData: Hashable, Sendable {
    /// The flags byte (§6.1, table "flags").
    public struct Flags: OptionSet, Hashable, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        public static let userPresent = Flags(rawValue: 0x01)
        public static let userVerified = Flags(rawValue: 0x04)
        public static let backupEligible = Flags(rawValue: 0x08)
        public static let backedUp = Flags(rawValue: 0x10)
        public static let attestedCredentialData = Flags(rawValue: 0x40)
        public static let extensionData = Flags(rawValue: 0x80)
    }

    /// §6.5.2 attested credential data.
    public struct AttestedCredential: Hashable, Sendable {
        public let aaguid: [UInt8]
        public let credentialID: [UInt8]
        public let publicKey: COSEKey
    }

    public static let maximumCredentialIDLength = 1023

    public let rpIDHash: [UInt8]
    public let flags: Flags
    public let signCount: UInt32
    public let attestedCredential: AttestedCredential?
    public let extensions: CBORValue?
    /// The bytes as received: signatures cover them, so they are kept, never re-encoded.
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) throws(WebAuthnError) {
        guard bytes.count >= 37 else {
            throw WebAuthnError(.malformedStructure, "authenticator data is \(bytes.count) bytes; at least 37 are needed")
        }
        self.bytes = bytes
        rpIDHash = Array(bytes[0..<32])
        flags = Flags(rawValue: bytes[32])
        signCount = bytes[33..<37].reduce(0) { $0 << 8 | UInt32($1) }
        var offset = 37
        if flags.contains(.attestedCredentialData) {
            guard bytes.count >= offset + 18 else {
                throw WebAuthnError(.malformedStructure, "attested credential data is cut short")
            }
            let aaguid = Array(bytes[offset..<offset + 16])
            let idLength = Int(bytes[offset + 16]) << 8 | Int(bytes[offset + 17])
            offset += 18
            guard idLength >= 1, idLength <= Self.maximumCredentialIDLength else {
                throw WebAuthnError(.malformedStructure, "a credential id of \(idLength) bytes is outside 1...\(Self.maximumCredentialIDLength)")
            }
            guard bytes.count - offset >= idLength else {
                throw WebAuthnError(.malformedStructure, "the credential id runs past the end of the authenticator data")
            }
            let credentialID = Array(bytes[offset..<offset + idLength])
            offset += idLength
            let (key, consumed) = try CBORDecoder.decodePrefix(Array(bytes[offset...]))
            offset += consumed
            attestedCredential = AttestedCredential(aaguid: aaguid, credentialID: credentialID, publicKey: try COSEKey(cbor: key))
        } else {
            attestedCredential = nil
        }
        if flags.contains(.extensionData) {
            let (value, consumed) = try CBORDecoder.decodePrefix(Array(bytes[offset...]))
            guard case .map = value else {
                throw WebAuthnError(.malformedStructure, "authenticator extensions must be a CBOR map")
            }
            offset += consumed
            extensions = value
        } else {
            extensions = nil
        }
        guard offset == bytes.count else {
            throw WebAuthnError(.malformedStructure, "\(bytes.count - offset) unexpected bytes follow the authenticator data")
        }
        // §6.1: BS may only be set when BE is (a credential that cannot be backed up is not).
        guard flags.contains(.backupEligible) || !flags.contains(.backedUp) else {
            throw WebAuthnError(.backupStateInconsistent, "the authenticator says backed up but not backup-eligible")
        }
    }
}
