import Crypto

/// COSE algorithm identifiers (RFC 9053 §2) the gateway offers, in order of preference.
public enum COSEAlgorithm: Int64, Hashable, Sendable, CaseIterable {
    /// ECDSA with SHA-256 on P-256.
    case es256 = -7
    /// EdDSA; with COSE key curve 6, Ed25519.
    case edDSA = -8
}

/// A credential public key as an authenticator encodes it (RFC 9052 §7, RFC 9053 §7.1–7.2).
/// Only the two kinds the gateway offers are accepted, each with exactly its required members.
public struct COSEKey: Hashable, Sendable {
    public enum Material: Hashable, Sendable {
        /// The uncompressed point, checked to lie on P-256.
        case p256(x: [UInt8], y: [UInt8])
        case ed25519([UInt8])
    }

    /// The key as the crypto library holds it, parsed (and the point checked) once.
    private enum Verifier: Sendable {
        case p256(P256.Signing.PublicKey)
        case ed25519(Curve25519.Signing.PublicKey)
    }

    public let algorithm: COSEAlgorithm
    public let material: Material
    private let verifier: Verifier

    public static func == (lhs: COSEKey, rhs: COSEKey) -> Bool { lhs.algorithm == rhs.algorithm && lhs.material == rhs.material }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(algorithm)
        hasher.combine(material)
    }

    /// COSE key labels (RFC 9052 §7.1, RFC 9053 §7.1).
    private enum Label {
        static let kty: Int64 = 1
        static let alg: Int64 = 3
        static let crv: Int64 = -1
        static let x: Int64 = -2
        static let y: Int64 = -3
    }

    public init(cbor value: CBORValue) throws(WebAuthnError) {
        guard case .map(let entries) = value else {
            throw WebAuthnError(.malformedStructure, "a COSE key is a CBOR map")
        }
        guard let kty = value[Label.kty]?.integer, let alg = value[Label.alg]?.integer, let crv = value[Label.crv]?.integer else {
            throw WebAuthnError(.malformedStructure, "a COSE key needs kty, alg and crv")
        }
        guard let algorithm = COSEAlgorithm(rawValue: alg) else {
            throw WebAuthnError(.unsupportedKey, "COSE algorithm \(alg) is not offered (ES256 or EdDSA)")
        }
        switch (algorithm, kty, crv) {
        case (.es256, 2, 1):
            guard entries.count == 5, case .bytes(let x) = value[Label.x], case .bytes(let y) = value[Label.y], x.count == 32, y.count == 32 else {
                throw WebAuthnError(.malformedStructure, "an ES256 key has exactly kty, alg, crv and 32-byte x and y")
            }
            // swift-crypto refuses a point that is not on the curve.
            guard let key = try? P256.Signing.PublicKey(x963Representation: [0x04] + x + y) else {
                throw WebAuthnError(.invalidKey, "the ES256 key is not a point on P-256")
            }
            material = .p256(x: x, y: y)
            verifier = .p256(key)
        case (.edDSA, 1, 6):
            guard entries.count == 4, case .bytes(let x) = value[Label.x], x.count == 32 else {
                throw WebAuthnError(.malformedStructure, "an Ed25519 key has exactly kty, alg, crv and a 32-byte x")
            }
            guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: x) else {
                throw WebAuthnError(.invalidKey, "the Ed25519 key cannot be read")
            }
            material = .ed25519(x)
            verifier = .ed25519(key)
        default:
            throw WebAuthnError(.unsupportedKey, "COSE key type \(kty) with curve \(crv) does not fit algorithm \(alg)")
        }
        self.algorithm = algorithm
    }

    /// Reads a stored key (the bytes `encoded` returned, or an authenticator's own encoding).
    public init(encoded bytes: [UInt8]) throws(WebAuthnError) {
        try self.init(cbor: CBORDecoder.decode(bytes))
    }

    /// The key in canonical CBOR, as stored beside an approval's evidence.
    public var encoded: [UInt8] {
        switch material {
        case .p256(let x, let y):
            // {1: 2, 3: -7, -1: 1, -2: x, -3: y}
            [0xA5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20] + x + [0x22, 0x58, 0x20] + y
        case .ed25519(let x):
            // {1: 1, 3: -8, -1: 6, -2: x}
            [0xA4, 0x01, 0x01, 0x03, 0x27, 0x20, 0x06, 0x21, 0x58, 0x20] + x
        }
    }

    /// Verifies `signature` over `message`: ES256 signatures are ASN.1 DER (WebAuthn §6.5.5),
    /// Ed25519 signatures the raw 64 bytes.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        switch verifier {
        case .p256(let key):
            guard let parsed = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: SHA256.hash(data: message))
        case .ed25519(let key):
            guard signature.count == 64 else { return false }
            return key.isValidSignature(signature, for: message)
        }
    }
}
