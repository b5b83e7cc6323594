import CountersignAPI
import CountersignCore
import CountersignSSH
import CountersignStore
import Crypto
import Foundation
import Keyring

/// The gateway's SSH user CA: signs a certificate for an approved SSH request, in the transaction
/// that allocates its serial and audits it, lists what revocation must name, and rotates its key.
struct SSHCertificateAuthority: Sendable {
    let store: any GatewayStore
    let keyring: any Keyring
    let clock: any WallClock
    /// What sshd runs for a recorded session (the certificate's `force-command`); nil when the
    /// gateway was not told, and then a recorded session's certificate is refused.
    let recorderCommand: String?

    static let name = "SSH certificate authority"

    /// The CA's key generations as every gateway sharing the keyring sees them now.
    func keys() throws(GatewayError) -> KeySet {
        try keyring.keySet(for: .sshUserCertificates, of: Self.name)
    }

    /// The CA keys hosts must trust now (`TrustedUserCAKeys`), oldest first: the one signing, the
    /// next during a rotation, the last until everything it signed has expired.
    func trustedKeys() throws(GatewayError) -> [(generation: KeyGeneration, publicKey: SSHEd25519PublicKey)] {
        try keys().published(at: clock.now()).map { ($0.generation, SSHEd25519PublicKey($0.publicKey)) }
    }

    /// A certificate for `subject` under request `id`, asked for by `caller`: the core's grant
    /// decides who may have one and for how long; the store allocates its serial and commits its
    /// row and `credential.issued` event with it (and, for a recorded session, its recording), or
    /// nothing is issued.
    func issue(for id: RequestID, subject: SSHEd25519PublicKey, by caller: Actor) async throws -> (certificate: SignedSSHCertificate, recording: RecordingID?) {
        let now = clock.now()
        let signingKey = try keyring.signingKey(for: .sshUserCertificates, of: Self.name, at: now)
        let recorderCommand = recorderCommand
        return try await store.issueCredential(for: id, at: now) { request, serial in
            let terms = request.certificateTerms
            let grant = try CredentialRules.grant(.sshCertificate, for: request, to: caller.name, lifetime: TimeInterval(terms.lifetimeSeconds), at: now)
            let recording = terms.recording == .off ? nil : try Self.recordedSession(recorderCommand: recorderCommand)
            let certified: SignedSSHCertificate
            do {
                certified = try Self.certificate(for: grant, under: terms, subject: subject, serial: serial, recording: recording).signed(by: signingKey)
            } catch {
                throw GatewayError(status: .serviceUnavailable, code: APIErrorCode.signingUnavailable, message: "the SSH certificate authority cannot sign now; nothing was issued")
            }
            let change = try CredentialRules.issue(grant, of: request, serial: serial, fingerprint: certified.digest.hexString, at: now, recording: recording?.ticket)
            return (change, (certified, recording?.ticket.id))
        }
    }

    /// A recorded session's part of its certificate: its recording, the token that alone may
    /// append to it (in the certificate and nowhere else), and the recorder sshd runs.
    struct RecordedSession {
        let ticket: RecordingTicket
        let uploadToken: RecordingUploadToken
        let recorderCommand: String
    }

    /// A recorded session's part, fresh for each certificate.
    static func recordedSession(recorderCommand: String?) throws(GatewayError) -> RecordedSession {
        guard let recorderCommand else {
            throw GatewayError(
                status: .serviceUnavailable, code: APIErrorCode.recorderUnconfigured,
                message: "this request's sessions are recorded, and the gateway was started without --recorder-command; nothing was issued"
            )
        }
        let token = RecordingUploadToken.generate()
        return RecordedSession(ticket: RecordingTicket(id: .random(), uploadToken: token), uploadToken: token, recorderCommand: recorderCommand)
    }

    static func certificate(
        for grant: CredentialGrant, under terms: CertificateTerms, subject: SSHEd25519PublicKey, serial: CredentialSerial, recording: RecordedSession? = nil
    ) throws -> SSHCertificate {
        // Whole seconds since the epoch, both after 1970: the grant's times are never earlier.
        return try SSHCertificate(
            nonce: SSHCertificate.randomNonce(), subjectKey: subject, serial: serial.rawValue, kind: .user,
            keyID: "countersign:\(grant.requestID):\(grant.holder)", principals: [grant.principal],
            validAfter: UInt64(max(0, grant.validAfter.timeIntervalSince1970)), validBefore: UInt64(max(1, grant.validBefore.timeIntervalSince1970)),
            criticalOptions: criticalOptions(under: terms, recorder: recording?.recorderCommand), extensions: try extensions(under: terms, recording: recording)
        )
    }

    static func criticalOptions(under terms: CertificateTerms, recorder: String? = nil) -> [CriticalOption] {
        var options: [CriticalOption] = []
        // The core refuses terms that both record and force another command.
        if let command = recorder ?? terms.forceCommand { options.append(.forceCommand(command)) }
        if !terms.sourceAddresses.isEmpty { options.append(.sourceAddress(terms.sourceAddresses.map(\.description))) }
        return options
    }

    /// A terminal always; forwarding only as the terms allow. Never `permit-user-rc`: a user's
    /// `~/.ssh/rc` would run before, and outside, a forced command. A recorded session's
    /// certificate names its recording and upload token, and whether input is recorded.
    static func extensions(under terms: CertificateTerms, recording: RecordedSession? = nil) throws -> Set<Extension> {
        var extensions: Set<Extension> = [.permitPTY]
        if let recording {
            extensions.insert(try .recording(id: recording.ticket.id.rawValue, uploadToken: recording.uploadToken.revealed))
            if terms.recording == .outputAndInput { extensions.insert(.recordInput) }
        }
        for forwarding in terms.forwarding {
            switch forwarding {
            case .port: extensions.insert(.permitPortForwarding)
            case .agent: extensions.insert(.permitAgentForwarding)
            case .x11: extensions.insert(.permitX11Forwarding)
            }
        }
        return extensions
    }

    /// The revocation list hosts read through `RevokedKeys`: every CA key distrusted as
    /// compromised, and every certificate still valid whose request was revoked, under every CA
    /// key hosts trust (serials are unique across the CA's
    /// generations, so naming one under each revokes exactly one certificate). Its version is the
    /// time it was made, so a newer list has a higher one.
    func revocationList() async throws -> KeyRevocationList {
        let now = clock.now()
        let serials = Set(try await store.revokedCredentials(at: now).filter { $0.grant.kind == .sshCertificate }.map(\.serial.rawValue))
        let seconds = UInt64(max(0, now.timeIntervalSince1970))
        let revoked = Dictionary(try trustedKeys().map { ($0.publicKey, serials) }, uniquingKeysWith: { $0.union($1) })
        let distrusted = Set(try keys().distrusted.map { SSHEd25519PublicKey($0.publicKey) })
        return try KeyRevocationList(version: seconds, generatedAt: seconds, comment: "countersign", revoked: revoked, revokedKeys: distrusted)
    }

    /// Rotating the CA's key, and distrusting it in an emergency (out of `ca.pub` and named in
    /// the KRL, so hosts whose `ca.pub` is stale refuse what it signed too). Hosts know a CA key
    /// by its OpenSSH fingerprint, and the audit names it so.
    var rotation: KeyRotation {
        KeyRotation(
            store: store, keyring: keyring, clock: clock, purpose: .sshUserCertificates, name: Self.name,
            fingerprint: { SSHEd25519PublicKey($0).fingerprint }
        )
    }
}
