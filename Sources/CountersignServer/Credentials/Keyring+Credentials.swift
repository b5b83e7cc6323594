import CountersignAPI
import Foundation
import Keyring

extension Keyring {
    /// The purpose's key generations as every gateway sharing the keyring sees them now, or 503
    /// `signing_unavailable` naming `signer`: a keyring that cannot answer refuses every credential
    /// rather than sign with a stale key.
    func keySet(for purpose: KeyPurpose, of signer: String) throws(GatewayError) -> KeySet {
        do throws(KeyringError) {
            return try keySet(for: purpose)
        } catch {
            throw GatewayError(status: .serviceUnavailable, code: APIErrorCode.signingUnavailable, message: "the \(signer)'s keys cannot be read now; nothing was issued")
        }
    }

    /// The key of the generation that signs `purpose` at `now`, or 503 `signing_unavailable`.
    func signingKey(for purpose: KeyPurpose, of signer: String, at now: Date) throws(GatewayError) -> any SigningKey {
        let keys = try keySet(for: purpose, of: signer)
        do throws(KeyringError) {
            return try keys.signer(at: now)
        } catch {
            throw GatewayError(status: .serviceUnavailable, code: APIErrorCode.signingUnavailable, message: "the \(signer) has no key to sign with now; nothing was issued")
        }
    }
}
