import CountersignAPI
import CountersignCore
import CountersignSSH
import Foundation
import Hummingbird
import Keyring

/// The SSH routes: certificates for approved requests, the CA key hosts trust, and the
/// revocation list they check.
struct SSHCertificateController {
    let authority: SSHCertificateAuthority
    let requests: RequestDesk
    let bodyLimit: Int

    func register(on routes: RouteRecorder) {
        routes.on(.post, "/v1/requests/{id}/ssh-certificate", use: issue)
        routes.on(.get, "/v1/ssh/ca.pub", use: certificateAuthority)
        routes.on(.get, "/v1/ssh/krl", use: revocationList)
        routes.on(.post, "/v1/admin/ssh/ca/rotate", use: rotate)
        routes.on(.post, "/v1/admin/ssh/ca/distrust", use: distrust)
    }

    @Sendable func issue(_ request: Request, context: GatewayContext) async throws -> JSONResponse<SSHCertificateView> {
        let caller = try context.requireIdentity().actor
        let id = try RequestPath.id(context)
        // A request the caller may not see does not exist for them, as everywhere else.
        _ = try await requests.request(id, for: caller)
        let body = try await BodyDecoding.decode(SSHCertificateBody.self, from: request, limit: bodyLimit)
        let subject = try Self.subject(body.publicKey)
        let (signed, recording) = try await authority.issue(for: id, subject: subject, by: caller)
        return JSONResponse(SSHCertificateView(signed, recording: recording), status: .created)
    }

    /// The `public_key` of a certificate body, as the key it names.
    static func subject(_ publicKey: String) throws -> SSHEd25519PublicKey {
        do {
            return try SSHEd25519PublicKey(authorizedKeysLine: publicKey)
        } catch {
            throw GatewayError(status: .badRequest, code: DomainError.Code.invalidField.rawValue, message: "public_key: \(error.message)")
        }
    }

    /// For sshd's `TrustedUserCAKeys`: public, so that hosts can fetch it unattended. One line per
    /// key hosts must trust, so that a host refreshing it picks up a rotation's next key before
    /// the switch.
    @Sendable func certificateAuthority(_ request: Request, context: GatewayContext) async throws -> Response {
        let lines = try authority.trustedKeys().map {
            $0.publicKey.authorizedKeysLine(comment: "countersign-user-ca-\($0.generation.number)") + "\n"
        }.joined()
        return Response(
            status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(string: lines))
        )
    }

    /// Admins schedule the CA's next key; `switch_after_seconds` (default a day) gives hosts time
    /// to fetch `ca.pub` with both keys before certificates are signed by the new one.
    @Sendable func rotate(_ request: Request, context: GatewayContext) async throws -> JSONResponse<CertificateAuthorityRotationView> {
        let caller = try context.requireIdentity().actor
        let body = try await BodyDecoding.decode(CertificateAuthorityRotationBody.self, from: request, limit: bodyLimit)
        let rotation = try await authority.rotation.rotate(switchAfter: try KeyRotation.switchAfter(body), by: caller)
        return JSONResponse(keysView(rotation), status: .created)
    }

    /// Admins withdraw the CA key signing now, in an emergency: hosts refuse what it signed as
    /// soon as they read the KRL, whether or not they have refreshed `ca.pub`.
    @Sendable func distrust(_ request: Request, context: GatewayContext) async throws -> JSONResponse<CertificateAuthorityRotationView> {
        let caller = try context.requireIdentity().actor
        return JSONResponse(keysView(try await authority.rotation.distrust(by: caller)))
    }

    private func keysView(_ keys: KeySet) -> CertificateAuthorityRotationView {
        CertificateAuthorityRotationView(keys: keys.published(at: authority.clock.now()).map { published in
            CertificateAuthorityKeyView(
                generation: published.generation.number, fingerprint: SSHEd25519PublicKey(published.publicKey).fingerprint,
                signsFrom: published.generation.number == 1 ? nil : published.generation.signsFrom, retiresAt: published.generation.retiresAt
            )
        })
    }

    /// For sshd's `RevokedKeys`: public, as the serials it names are of no use to anyone else. Made
    /// from the store on every request, so a revocation is in it the moment it commits.
    @Sendable func revocationList(_ request: Request, context: GatewayContext) async throws -> Response {
        let list = try await authority.revocationList()
        return Response(
            status: .ok, headers: [.contentType: "application/octet-stream", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: list.bytes))
        )
    }
}

extension SSHCertificateView {
    init(_ signed: SignedSSHCertificate, recording: RecordingID?) {
        let certificate = signed.certificate
        self.init(
            certificate: signed.openSSHLine(comment: certificate.keyID), serial: certificate.serial, keyId: certificate.keyID,
            principals: certificate.principals, validAfter: Date(timeIntervalSince1970: TimeInterval(certificate.validAfter)),
            validBefore: Date(timeIntervalSince1970: TimeInterval(certificate.validBefore)), certificateAuthority: signed.caKey.fingerprint,
            recordingId: recording?.rawValue
        )
    }
}
