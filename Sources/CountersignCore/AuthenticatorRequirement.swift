/// Which security keys may be enrolled, as the policy says (authenticators.yaml): the
/// attestation roots their certificates must chain to, and the models (AAGUIDs) allowed. The core
/// keeps both as bytes; the WebAuthn layer parses the certificates and checks chains against them.
public struct AuthenticatorRequirement: Hashable, Sendable {
    /// One trusted root certificate and the file it came from (for messages and the audit log).
    public struct Root: Hashable, Sendable {
        /// Where the root was read, relative to the policy directory (`roots/yubico.pem`).
        public let source: String
        /// The certificate, DER.
        public let der: [UInt8]

        public init(source: String, der: [UInt8]) {
            self.source = source
            self.der = der
        }
    }

    public static let maximumRoots = 64
    public static let maximumAAGUIDs = 1_000

    public let attestationRoots: [Root]
    /// Nil: any model whose attestation chains to a root. Each is 16 bytes.
    public let aaguids: Set<[UInt8]>?

    /// No restriction: any key whose registration verifies may be enrolled.
    public static let unrestricted = AuthenticatorRequirement(checkedRoots: [], aaguids: nil)

    /// An AAGUID list needs roots: without a certificate chain to a trusted root, the AAGUID in a
    /// registration is only what the authenticator says about itself.
    public init(attestationRoots: [Root], aaguids: Set<[UInt8]>? = nil) throws(DomainError) {
        guard attestationRoots.count <= Self.maximumRoots else {
            throw DomainError(.invalidField, "at most \(Self.maximumRoots) attestation roots may be trusted")
        }
        if let aaguids {
            guard !attestationRoots.isEmpty else {
                throw DomainError(.invalidField, "an AAGUID list needs attestation roots to prove the AAGUIDs by")
            }
            guard !aaguids.isEmpty, aaguids.count <= Self.maximumAAGUIDs, aaguids.allSatisfy({ $0.count == 16 }) else {
                throw DomainError(.invalidField, "an AAGUID list holds 1 to \(Self.maximumAAGUIDs) AAGUIDs of 16 bytes each")
            }
        }
        self.init(checkedRoots: attestationRoots, aaguids: aaguids)
    }

    private init(checkedRoots: [Root], aaguids: Set<[UInt8]>?) {
        attestationRoots = checkedRoots
        self.aaguids = aaguids
    }

    /// Whether enrolment needs a certificate attestation (browsers must be asked for one).
    public var requiresAttestation: Bool { !attestationRoots.isEmpty }
}
