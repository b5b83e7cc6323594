import CountersignAPI
import CountersignCore
import CountersignStore
import Crypto
import Foundation
import Keyring

/// Schedules the next key of one credential signer (the SSH CA, the deploy token issuer): published
/// at once beside the current one, signing from `switchAfter` from now, the current one published
/// until the longest credential it may still sign has expired. What differs between signers is
/// only what the key is for, what people call it and how its verifiers name a public key.
struct KeyRotation: Sendable {
    let store: any GatewayStore
    let keyring: any Keyring
    let clock: any WallClock
    let purpose: KeyPurpose
    /// As messages name the signer: "SSH certificate authority".
    let name: String
    /// A public key as its verifiers know it: an OpenSSH fingerprint for hosts, a JWKS `kid` for
    /// deploy tooling. The audit event names both keys so.
    let fingerprint: @Sendable (Curve25519.Signing.PublicKey) -> String

    /// What an admin may ask for: `switch_after_seconds`, absent or null for the default, within
    /// the range every rotation route shares.
    static func switchAfter(_ body: CertificateAuthorityRotationBody) throws(GatewayError) -> TimeInterval {
        let seconds = body.switchAfterSeconds ?? CertificateAuthorityRotationBody.defaultSwitchAfterSeconds
        guard CertificateAuthorityRotationBody.switchAfterRange.contains(seconds) else {
            throw GatewayError(
                status: .badRequest, code: DomainError.Code.invalidField.rawValue,
                message: "switch_after_seconds must be between 0 and \(CertificateAuthorityRotationBody.switchAfterRange.upperBound)"
            )
        }
        return TimeInterval(seconds)
    }

    /// Admins only. Audited before it is published: if the audit cannot be written nothing
    /// changes, so no key ever signs without a record of who scheduled it.
    func rotate(switchAfter: TimeInterval, by caller: Actor) async throws -> KeySet {
        guard caller.groups.contains(WellKnownGroup.admins) else {
            throw GatewayError(status: .forbidden, code: DomainError.Code.forbidden.rawValue, message: "only the \(WellKnownGroup.admins) group may rotate the \(name)")
        }
        let now = clock.now()
        let rotation: KeySet
        do throws(KeyringError) {
            rotation = try keyring.prepareRotation(
                of: purpose, switchAt: now.addingTimeInterval(switchAfter), overlap: CredentialRules.maximumLifetime, at: now
            )
        } catch where error.code == .rotationPending {
            throw GatewayError(status: .conflict, code: error.code.rawValue, message: error.message)
        } catch {
            throw GatewayError(status: .serviceUnavailable, code: APIErrorCode.signingUnavailable, message: "the \(name)'s keyring refused the rotation; nothing changed")
        }
        let published = rotation.published(at: now)
        guard let current = published.first(where: { $0.generation == rotation.schedule.signer(at: now) }), let next = published.last else {
            throw GatewayError(status: .serviceUnavailable, code: APIErrorCode.signingUnavailable, message: "the rotation has no next key; nothing changed")
        }
        _ = try await store.appendAudit([AuditEvent(
            time: now, actor: caller.name.rawValue, action: .keyRotationScheduled, subject: purpose.rawValue,
            details: [
                "current_generation": String(current.generation.number),
                "current_fingerprint": fingerprint(current.publicKey),
                "next_generation": String(next.generation.number),
                "next_fingerprint": fingerprint(next.publicKey),
                "switch_at": String(next.generation.signsFrom.millisecondsSinceEpoch),
                "current_retires_at": String(current.generation.retiresAt.map(\.millisecondsSinceEpoch) ?? 0),
            ]
        )])
        do throws(KeyringError) {
            try keyring.publish(rotation)
        } catch {
            throw GatewayError(status: .serviceUnavailable, code: APIErrorCode.signingUnavailable, message: "the rotation was audited but the keyring could not publish it; the current key stays")
        }
        return rotation
    }

    /// Admins only: withdraws the key signing now, at once, as compromised. It leaves the
    /// published keys and stops signing; the next generation (the one a rotation had scheduled,
    /// or a new one) signs from now. Audited before it is published, like a rotation.
    func distrust(by caller: Actor) async throws -> KeySet {
        guard caller.groups.contains(WellKnownGroup.admins) else {
            throw GatewayError(status: .forbidden, code: DomainError.Code.forbidden.rawValue, message: "only the \(WellKnownGroup.admins) group may distrust the \(name)'s key")
        }
        let now = clock.now()
        let after: KeySet
        do throws(KeyringError) {
            after = try keyring.prepareDistrust(of: purpose, at: now)
        } catch where error.code == .invalidSchedule {
            throw GatewayError(status: .conflict, code: error.code.rawValue, message: error.message)
        } catch {
            throw GatewayError(status: .serviceUnavailable, code: APIErrorCode.signingUnavailable, message: "the \(name)'s keyring refused to distrust its key; nothing changed")
        }
        // The distrust always withdraws the newest key that has signed: the last distrusted one.
        let replacement = after.schedule.signer(at: now)
        guard let withdrawnKey = after.distrusted.last,
              let replacementKey = after.published(at: now).last(where: { $0.generation.number == replacement.number }) else {
            throw GatewayError(status: .serviceUnavailable, code: APIErrorCode.signingUnavailable, message: "the \(name)'s keyring has no key to sign instead; nothing changed")
        }
        _ = try await store.appendAudit([AuditEvent(
            time: now, actor: caller.name.rawValue, action: .keyDistrusted, subject: purpose.rawValue,
            details: [
                "distrusted_generation": String(withdrawnKey.generation.number),
                "distrusted_fingerprint": fingerprint(withdrawnKey.publicKey),
                "signing_generation": String(replacement.number),
                "signing_fingerprint": fingerprint(replacementKey.publicKey),
            ]
        )])
        do throws(KeyringError) {
            try keyring.publish(after)
        } catch {
            throw GatewayError(status: .serviceUnavailable, code: APIErrorCode.signingUnavailable, message: "the distrust was audited but the keyring could not publish it; the key still signs")
        }
        return after
    }
}
