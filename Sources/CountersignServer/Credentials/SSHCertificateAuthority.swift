import CountersignAPI
import CountersignCore
import CountersignSSH
import CountersignStore
import Crypto
import Foundation
import Keyring

/// The gateway's SSH user CA: signs a certificate for an approved SSH request, in the transaction
/// that allocates its serial and audits it, and lists what revocation must name.
struct SSHCertificateAuthority: Sendable {
    let store: any GatewayStore
    let signingKey: any SigningKey
    let clock: any WallClock

    var publicKey: SSHEd25519PublicKey { SSHEd25519PublicKey(signingKey.publicKey) }

    /// A certificate for `subject` under request `id`, asked for by `caller`: the core's grant
    /// decides who may have one and for how long; the store allocates its serial and commits its
    /// row and `credential.issued` event with it, or nothing is issued.
    func issue(for id: RequestID, subject: SSHEd25519PublicKey, by caller: Actor) async throws -> SignedSSHCertificate {
        let now = clock.now()
        let signingKey = signingKey
        return try await store.issueCredential(for: id, at: now) { request, serial in
            let terms = request.certificateTerms
            let grant = try CredentialRules.grant(.sshCertificate, for: request, to: caller.name, lifetime: TimeInterval(terms.lifetimeSeconds), at: now)
            let certified: SignedSSHCertificate
            do {
                certified = try Self.certificate(for: grant, under: terms, subject: subject, serial: serial).signed(by: signingKey)
            } catch {
                throw GatewayError(status: .serviceUnavailable, code: APIErrorCode.signingUnavailable, message: "the SSH certificate authority cannot sign now; nothing was issued")
            }
            return (try CredentialRules.issue(grant, of: request, serial: serial, fingerprint: certified.digest.hexString, at: now), certified)
        }
    }

    static func certificate(
        for grant: CredentialGrant, under terms: CertificateTerms, subject: SSHEd25519PublicKey, serial: CredentialSerial
    ) throws -> SSHCertificate {
        var nonce = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in nonce.indices { nonce[index] = UInt8.random(in: .min ... .max, using: &generator) }
        // Whole seconds since the epoch, both after 1970: the grant's times are never earlier.
        return try SSHCertificate(
            nonce: nonce, subjectKey: subject, serial: serial.rawValue, kind: .user,
            keyID: "countersign:\(grant.requestID):\(grant.holder)", principals: [grant.principal],
            validAfter: UInt64(max(0, grant.validAfter.timeIntervalSince1970)), validBefore: UInt64(max(1, grant.validBefore.timeIntervalSince1970)),
            criticalOptions: criticalOptions(under: terms), extensions: extensions(under: terms)
        )
    }

    static func criticalOptions(under terms: CertificateTerms) -> [CriticalOption] {
        var options: [CriticalOption] = []
        if let command = terms.forceCommand { options.append(.forceCommand(command)) }
        if !terms.sourceAddresses.isEmpty { options.append(.sourceAddress(terms.sourceAddresses.map(\.description))) }
        return options
    }

    /// A terminal always; forwarding only as the terms allow. Never `permit-user-rc`: a user's
    /// `~/.ssh/rc` would run before, and outside, a forced command.
    static func extensions(under terms: CertificateTerms) -> Set<Extension> {
        var extensions: Set<Extension> = [.permitPTY]
        for forwarding in terms.forwarding {
            switch forwarding {
            case .port: extensions.insert(.permitPortForwarding)
            case .agent: extensions.insert(.permitAgentForwarding)
            case .x11: extensions.insert(.permitX11Forwarding)
            }
        }
        return extensions
    }

    /// The revocation list hosts read through `RevokedKeys`: every certificate still valid whose
    /// request was revoked. Its version is the time it was made, so a newer list has a higher one.
    func revocationList() async throws -> KeyRevocationList {
        let now = clock.now()
        let serials = try await store.revokedCredentials(at: now).filter { $0.grant.kind == .sshCertificate }.map(\.serial.rawValue)
        let seconds = UInt64(max(0, now.timeIntervalSince1970))
        return try KeyRevocationList(version: seconds, generatedAt: seconds, comment: "countersign", revoked: [publicKey: Set(serials)])
    }
}
