import Foundation
@_spi(FixedExpiryValidationTime) import X509

/// Which authenticators a relying party accepts at registration, beyond a statement that
/// verifies: attestation roots their certificates must chain to, and the models (AAGUIDs)
/// allowed.
///
/// - No roots: any statement the ceremony verified is accepted (`none` included); nothing about
///   the authenticator's origin is proven.
/// - Roots: the registration must carry a `packed` x5c statement whose leaf, through the x5c
///   intermediates, verifies to one of the roots at the ceremony's time under RFC 5280
///   (signatures, validity, basic constraints, name constraints). `none` and self attestation
///   prove nothing and are refused.
/// - AAGUIDs (only with roots): the credential's AAGUID must be listed, and the attestation
///   certificate must name that same AAGUID (id-fido-gen-ce-aaguid). The authenticator data's
///   AAGUID alone is the authenticator's claim; a certificate from a trusted root naming it is
///   the vendor's word.
public struct AttestationTrust: Sendable {
    /// Bounds on what a configuration may hold: each root and model is compared at every
    /// registration.
    public static let maximumRoots = 64
    public static let maximumAAGUIDs = 1_000

    public let roots: [Certificate]
    /// Nil: any model whose attestation chains to a root.
    public let allowedAAGUIDs: Set<[UInt8]>?

    /// No trust configured: today's behaviour, where the statement is verified and its origin is
    /// not.
    public static let unrestricted = AttestationTrust(checkedRoots: [], allowedAAGUIDs: nil)

    public init(roots: [Certificate], allowedAAGUIDs: Set<[UInt8]>? = nil) throws(WebAuthnError) {
        guard roots.count <= Self.maximumRoots else {
            throw WebAuthnError(.invalidTrustConfiguration, "at most \(Self.maximumRoots) attestation roots are accepted, not \(roots.count)")
        }
        if let allowedAAGUIDs {
            guard !roots.isEmpty else {
                throw WebAuthnError(.invalidTrustConfiguration, "an AAGUID list needs attestation roots: without a certificate chain to a trusted root an AAGUID is only the authenticator's claim")
            }
            guard !allowedAAGUIDs.isEmpty, allowedAAGUIDs.count <= Self.maximumAAGUIDs, allowedAAGUIDs.allSatisfy({ $0.count == 16 }) else {
                throw WebAuthnError(.invalidTrustConfiguration, "an AAGUID list holds 1 to \(Self.maximumAAGUIDs) AAGUIDs of 16 bytes each")
            }
        }
        self.init(checkedRoots: roots, allowedAAGUIDs: allowedAAGUIDs)
    }

    /// Roots as DER (a policy file's PEM, decoded), parsed here.
    public init(rootsDER: [[UInt8]], allowedAAGUIDs: Set<[UInt8]>? = nil) throws(WebAuthnError) {
        var roots: [Certificate] = []
        for (index, der) in rootsDER.enumerated() {
            guard let root = try? Certificate(derEncoded: der) else {
                throw WebAuthnError(.invalidTrustConfiguration, "attestation root \(index + 1) is not a DER X.509 certificate")
            }
            roots.append(root)
        }
        try self.init(roots: roots, allowedAAGUIDs: allowedAAGUIDs)
    }

    private init(checkedRoots: [Certificate], allowedAAGUIDs: Set<[UInt8]>?) {
        roots = checkedRoots
        self.allowedAAGUIDs = allowedAAGUIDs
    }

    /// Whether a registration must carry a certificate attestation: the relying party should then
    /// ask browsers for `attestation: "direct"`, or they send no statement at all.
    public var requiresAttestation: Bool { !roots.isEmpty }

    /// Decides on a verified credential's attestation at `time` (the ceremony's, from the
    /// caller's clock).
    public func evaluate(_ credential: RegisteredCredential, at time: Date) async throws(WebAuthnError) -> AttestationVerdict {
        try await evaluate(credential.evidence, at: time)
    }

    /// Decides on attestation evidence at `time`. Evidence read with
    /// `AttestationEvidence(claimedIn:)` is unverified: confirm the verdict against the credential
    /// the ceremony verifies (`AttestationVerdict.confirm(_:)`).
    public func evaluate(_ evidence: AttestationEvidence, at time: Date) async throws(WebAuthnError) -> AttestationVerdict {
        guard requiresAttestation else { return AttestationVerdict(evidence: evidence, root: nil) }
        guard evidence.format == .packedCertificate, let leafBytes = evidence.certificates.first else {
            let sent = evidence.format == .none ? "no attestation statement" : "self attestation, which any key can make"
            throw WebAuthnError(.attestationUntrusted, "this gateway accepts only authenticators whose attestation certificate chains to a trusted root; this one sent \(sent) (is the browser asked for attestation \"direct\"?)")
        }
        guard let leaf = try? Certificate(derEncoded: leafBytes) else {
            throw WebAuthnError(.malformedStructure, "the attestation certificate is not DER X.509")
        }
        var intermediates: [Certificate] = []
        for der in evidence.certificates.dropFirst() {
            guard let certificate = try? Certificate(derEncoded: der) else {
                throw WebAuthnError(.malformedStructure, "an intermediate x5c certificate is not DER X.509")
            }
            intermediates.append(certificate)
        }
        var verifier = Verifier(rootCertificates: CertificateStore(roots)) {
            RFC5280Policy(fixedExpiryValidationTime: time)
        }
        let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore(intermediates))
        guard case .validCertificate(let chain) = result, let root = chain.last else {
            throw WebAuthnError(.attestationUntrusted, "the attestation certificate (\(leaf.subject)) does not chain to a trusted root, valid at the time of registration, through the certificates sent")
        }
        if let allowedAAGUIDs {
            guard allowedAAGUIDs.contains(evidence.aaguid) else {
                throw WebAuthnError(.authenticatorNotAllowed, "this authenticator model (AAGUID \(AttestationTrust.text(of: evidence.aaguid))) is not on the accepted list")
            }
            guard try PackedAttestation.namedAAGUID(leaf) == evidence.aaguid else {
                throw WebAuthnError(.attestationUntrusted, "the attestation certificate does not name the authenticator's model (id-fido-gen-ce-aaguid), so its AAGUID is unproven")
            }
        }
        return AttestationVerdict(evidence: evidence, root: root)
    }

    /// An AAGUID as a UUID is written: `cb69481e-8ff7-4039-93ec-0a2729a154a8`.
    public static func text(of aaguid: [UInt8]) -> String {
        let hex = aaguid.map { String(format: "%02x", $0) }.joined()
        guard aaguid.count == 16 else { return hex }
        let characters = Array(hex)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }.joined(separator: "-")
    }
}

/// What `AttestationTrust` decided about one registration's attestation.
public struct AttestationVerdict: Hashable, Sendable {
    public let evidence: AttestationEvidence
    /// The trusted root the attestation chains to; nil when no roots are configured.
    public let root: Certificate?

    /// The root's subject (RFC 4514, `CN=Yubico U2F Root CA Serial 457200631`), for the audit log.
    public var rootSubject: String? { root.map { String(describing: $0.subject) } }

    /// Refuses a verified credential whose attestation is not the evidence this verdict is about.
    public func confirm(_ credential: RegisteredCredential) throws(WebAuthnError) {
        guard credential.evidence == evidence else {
            throw WebAuthnError(.attestationUntrusted, "the verified attestation is not the one whose trust was evaluated")
        }
    }
}
