import CountersignAPI
import Crypto
import Foundation
import WebAuthn

/// The public keys deploy tokens are checked against, as a JWKS (RFC 7517 §5) of Ed25519 keys
/// (RFC 8037 §2): the gateway publishes every key generation a verifier must trust (the one
/// signing, the next during a rotation, the last until its tokens have expired), each under its
/// RFC 7638 thumbprint as `kid`.
public struct DeployTokenKeySet: Sendable {
    public static let maximumSize = 64 * 1024
    public static let maximumKeys = 16

    public struct Key: Sendable {
        public let id: String
        public let publicKey: Curve25519.Signing.PublicKey
    }

    public let keys: [Key]

    /// The set the gateway publishes, in the order given; a key given twice is listed once.
    public init(publicKeys: [Curve25519.Signing.PublicKey]) {
        var keys: [Key] = []
        for publicKey in publicKeys {
            let id = Self.keyID(of: publicKey)
            if !keys.contains(where: { $0.id == id }) { keys.append(Key(id: id, publicKey: publicKey)) }
        }
        self.keys = keys
    }

    public func key(withID id: String) -> Key? {
        keys.first { $0.id == id }
    }

    /// The RFC 7638 thumbprint of an Ed25519 key (RFC 8037 §A.3): SHA-256 over its required
    /// members in lexicographic order, base64url. A `kid` that is the key's own digest cannot be
    /// given to another key.
    public static func keyID(of publicKey: Curve25519.Signing.PublicKey) -> String {
        let members = #"{"crv":"Ed25519","kty":"OKP","x":"\#(Base64URL.encode(Array(publicKey.rawRepresentation)))"}"#
        return Base64URL.encode(Array(SHA256.hash(data: Array(members.utf8))))
    }

    /// The JWKS as served at `/.well-known/jwks.json`.
    public var json: [UInt8] {
        let wire = WireKeySet(keys: keys.map { key in
            WireKey(kty: "OKP", crv: "Ed25519", x: Base64URL.encode(Array(key.publicKey.rawRepresentation)), kid: key.id, alg: DeployTokenHeader.algorithm, use: "sig", d: nil)
        })
        // Strings and arrays of them only: nothing here can fail to encode.
        return (try? APIJSONEncoder.encode(wire)) ?? Array(#"{"keys":[]}"#.utf8)
    }

    /// A JWKS read from a file or a URL, strictly: bounded, every Ed25519 key complete and named by
    /// its own thumbprint, no private key, no `kid` twice. Keys of other types are skipped (RFC 7517
    /// §5: a set may hold keys a reader does not understand) since no deploy token can name them.
    public init(parsing json: [UInt8]) throws(KeySetError) {
        guard json.count <= Self.maximumSize else {
            throw KeySetError(.tooLarge, "the JWKS is larger than \(Self.maximumSize / 1024) KiB")
        }
        let wire: WireKeySet
        do {
            wire = try JSONDecoder().decode(WireKeySet.self, from: Data(json))
        } catch {
            throw KeySetError(.malformed, "the JWKS is not a JSON object with a \"keys\" array of keys with a \"kty\"")
        }
        guard wire.keys.count <= Self.maximumKeys else {
            throw KeySetError(.malformed, "the JWKS lists \(wire.keys.count) keys; the gateway publishes at most \(Self.maximumKeys)")
        }
        var seen = Set<String>()
        var keys: [Key] = []
        for (index, key) in wire.keys.enumerated() {
            if let id = key.kid, !seen.insert(id).inserted {
                throw KeySetError(.ambiguousKey, "the JWKS lists two keys under one kid")
            }
            guard key.d == nil else {
                throw KeySetError(.malformed, "key \(index + 1) of the JWKS carries a private key; whoever published it has leaked it")
            }
            guard key.kty == "OKP", key.crv == "Ed25519" else { continue }
            keys.append(try Self.ed25519Key(key, number: index + 1))
        }
        guard !keys.isEmpty else {
            throw KeySetError(.noUsableKey, "the JWKS has no Ed25519 key to verify deploy tokens with")
        }
        self.keys = keys
    }

    private static func ed25519Key(_ key: WireKey, number: Int) throws(KeySetError) -> Key {
        guard key.alg == DeployTokenHeader.algorithm, key.use == nil || key.use == "sig" else {
            throw KeySetError(.malformed, "Ed25519 key \(number) of the JWKS is not marked alg EdDSA for signatures")
        }
        guard let x = key.x, let bytes = Base64URL.decode(x), bytes.count == 32,
              let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: bytes)
        else {
            throw KeySetError(.malformed, "Ed25519 key \(number) of the JWKS has no 32-byte x")
        }
        let id = keyID(of: publicKey)
        guard key.kid == id else {
            throw KeySetError(.malformed, "Ed25519 key \(number) of the JWKS is not named by its thumbprint (RFC 7638) as the gateway names its keys")
        }
        return Key(id: id, publicKey: publicKey)
    }
}

private struct WireKeySet: Codable {
    let keys: [WireKey]
}

/// A JWK as written, each member optional so that keys of other types decode and are skipped.
private struct WireKey: Codable {
    let kty: String
    let crv: String?
    let x: String?
    let kid: String?
    let alg: String?
    let use: String?
    /// Present only in a private key: never in a published set.
    let d: String?
}
