import Crypto
import Foundation
import WebAuthn

/// Assertion verifications per second on one core, over the accepted W3C §16 assertion vectors,
/// beside the bare signature verification of the same keys and messages (the limit for this
/// code). Usage: countersign-bench-webauthn VECTORS.json [seconds per measurement]
struct Vectors: Decodable {
    struct Assertion: Decodable {
        let name: String
        let expect: String
        let challenge: String
        let clientDataJSON: String
        let authenticatorData: String
        let signature: String
        let credentialID: String
        let credentialPubKey: String
    }

    let rp_id: String
    let origin: String
    let authentication: [Assertion]
}

func bytes(_ hex: String) -> [UInt8] {
    var result: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        result.append(UInt8(hex[index..<next], radix: 16) ?? 0)
        index = next
    }
    return result
}

/// Runs `body` repeatedly for about `seconds`, returning operations per second.
func rate(seconds: Double, _ body: () -> Bool) -> Double {
    var operations = 0
    let start = ContinuousClock.now
    var elapsed = 0.0
    repeat {
        for _ in 0..<200 {
            guard body() else { fatalError("a verification failed during the benchmark") }
        }
        operations += 200
        let duration = ContinuousClock.now - start
        elapsed = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    } while elapsed < seconds
    return Double(operations) / elapsed
}

let arguments = CommandLine.arguments
guard arguments.count >= 2, let data = FileManager.default.contents(atPath: arguments[1]),
      let vectors = try? JSONDecoder().decode(Vectors.self, from: data)
else {
    FileHandle.standardError.write(Data("usage: countersign-bench-webauthn VECTORS.json [seconds]\n".utf8))
    exit(2)
}
let seconds = Double(arguments.dropFirst(2).first ?? "") ?? 2
let relyingParty = RelyingParty(id: vectors.rp_id, origin: vectors.origin)
// Warm the CPU's clock and caches first, so the first vector is not measured cold.
_ = rate(seconds: 0.5) { SHA256.hash(data: [1, 2, 3]).description.isEmpty == false }

for vector in vectors.authentication where vector.expect == "accept" {
    let key = try COSEKey(encoded: bytes(vector.credentialPubKey))
    let authenticatorData = bytes(vector.authenticatorData)
    let clientDataJSON = bytes(vector.clientDataJSON)
    let signature = bytes(vector.signature)
    let credential = StoredCredential(
        id: bytes(vector.credentialID), publicKey: key, signCount: 0,
        backupEligible: (authenticatorData[32] & 0x08) != 0, userHandle: []
    )
    let ceremony = AssertionCeremony(relyingParty: relyingParty, challenge: bytes(vector.challenge), credentials: [credential], userVerification: .preferred)
    let full = rate(seconds: seconds) {
        (try? ceremony.verify(credentialID: credential.id, authenticatorData: authenticatorData, clientDataJSON: clientDataJSON, signature: signature, userHandle: nil)) != nil
    }
    // The bare verify: key and signature parsed once, the message hashed once, outside the loop.
    let message = authenticatorData + Array(SHA256.hash(data: clientDataJSON))
    let bare: Double
    switch key.material {
    case .p256(let x, let y):
        let publicKey = try P256.Signing.PublicKey(x963Representation: [0x04] + x + y)
        let parsed = try P256.Signing.ECDSASignature(derRepresentation: signature)
        let digest = SHA256.hash(data: message)
        bare = rate(seconds: seconds) { publicKey.isValidSignature(parsed, for: digest) }
    case .ed25519(let x):
        let publicKey = try Curve25519.Signing.PublicKey(rawRepresentation: x)
        bare = rate(seconds: seconds) { publicKey.isValidSignature(signature, for: message) }
    }
    print(String(
        format: "vector=%@ alg=%@ assertion_verifications_per_second=%.0f bare_verify_per_second=%.0f ratio_to_bare=%.2f",
        vector.name, key.algorithm == .es256 ? "ES256" : "EdDSA", full, bare, full / bare
    ))
}
