import Foundation
import Testing
@testable import WebAuthn

/// Bounded fuzzing inside `make test`: mutated vectors and random bytes through the decoder and
/// both verifiers. Each input must end in a value or a `WebAuthnError`, never a crash or a hang.
/// A fixed seed keeps a failure reproducible; `make bench` runs the long version by setting
/// COUNTERSIGN_FUZZ_ITERATIONS.
@Suite("Fuzzing the CBOR decoder and both ceremonies")
struct FuzzTests {
    static let iterations = ProcessInfo.processInfo.environment["COUNTERSIGN_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 10_000

    @Test("mutated registration vectors never crash", .timeLimit(.minutes(10)))
    func registrations() {
        var random = SplitMix64(seed: 0xC0FFEE)
        for vector in SpecVectors.loaded.registration {
            let ceremony = RegistrationTests.ceremony(vector)
            let object = [UInt8](hex: vector.attestationObject)
            let clientData = [UInt8](hex: vector.clientDataJSON)
            for _ in 0..<Self.iterations / 5 {
                _ = try? ceremony.verify(attestationObject: Mutation.apply(to: object, using: &random), clientDataJSON: clientData)
                _ = try? ceremony.verify(attestationObject: object, clientDataJSON: Mutation.apply(to: clientData, using: &random))
            }
        }
    }

    @Test("mutated assertion vectors never crash, and are never accepted once the signed bytes change", .timeLimit(.minutes(10)))
    func assertions() throws {
        var random = SplitMix64(seed: 0xBADC0DE)
        for vector in AssertionTests.accepted {
            let ceremony = AssertionCeremony(
                relyingParty: AssertionTests.relyingParty, challenge: [UInt8](hex: vector.challenge),
                credentials: [try AssertionTests.credential(vector)], userVerification: .preferred
            )
            let response = AssertionTests.Response(vector)
            for _ in 0..<Self.iterations / 5 {
                let data = Mutation.apply(to: response.authenticatorData, using: &random)
                let accepted = try? ceremony.verify(
                    credentialID: response.credentialID, authenticatorData: data, clientDataJSON: response.clientDataJSON,
                    signature: response.signature, userHandle: nil
                )
                if data != response.authenticatorData { #expect(accepted == nil) }
                _ = try? ceremony.verify(
                    credentialID: response.credentialID, authenticatorData: response.authenticatorData,
                    clientDataJSON: response.clientDataJSON, signature: Mutation.apply(to: response.signature, using: &random), userHandle: nil
                )
            }
        }
    }

    @Test("random bytes never crash the decoder", .timeLimit(.minutes(10)))
    func randomCBOR() {
        var random = SplitMix64(seed: 42)
        for _ in 0..<Self.iterations * 10 {
            let bytes = (0..<Int(random.next() % 64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            _ = try? CBORDecoder.decode(bytes)
            _ = try? AuthenticatorData(bytes + [UInt8](repeating: 0x41, count: 37))
        }
    }
}

/// A small deterministic generator (SplitMix64), so every run mutates the same way.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum Mutation {
    /// One to four edits: flip a bit, set an interesting byte, cut, or insert.
    static func apply<G: RandomNumberGenerator>(to input: [UInt8], using random: inout G) -> [UInt8] {
        var bytes = input
        for _ in 0...Int(random.next() % 4) {
            guard !bytes.isEmpty else { bytes.append(UInt8(truncatingIfNeeded: random.next())); continue }
            let at = Int(random.next() % UInt64(bytes.count))
            switch random.next() % 4 {
            case 0: bytes[at] ^= 1 << (random.next() % 8)
            case 1: bytes[at] = [0x00, 0x17, 0x18, 0x1B, 0x1F, 0x5F, 0x7F, 0x9F, 0xBF, 0xFF][Int(random.next() % 10)]
            case 2: bytes.removeSubrange(at...)
            default: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: at)
            }
        }
        return bytes
    }
}
