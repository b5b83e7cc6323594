import CountersignAPI
import CountersignCore
import DeployTokens
import Foundation
import Hummingbird
import Keyring

/// The deploy token routes: a token for an approved deploy request, the JWKS deploy tooling
/// verifies tokens with offline, and the rotation of the key that signs them.
struct DeployTokenController {
    let issuer: DeployTokenIssuer
    let requests: RequestDesk
    let bodyLimit: Int

    /// How long caches may keep the JWKS: a rotation publishes the next key well before it signs,
    /// so a few minutes' staleness never leaves a verifier without it.
    static let keySetCacheControl = "public, max-age=300"

    func register(on routes: RouteRecorder) {
        routes.on(.post, "/v1/requests/{id}/deploy-token", use: issue)
        routes.on(.get, "/.well-known/jwks.json", use: keySet)
        routes.on(.post, "/v1/admin/deploy-tokens/keys/rotate", use: rotate)
        routes.on(.post, "/v1/admin/deploy-tokens/keys/distrust", use: distrust)
    }

    @Sendable func issue(_ request: Request, context: GatewayContext) async throws -> JSONResponse<DeployTokenView> {
        let caller = try context.requireIdentity().actor
        let id = try RequestPath.id(context)
        // A request the caller may not see does not exist for them, as everywhere else.
        _ = try await requests.request(id, for: caller)
        let issued = try await issuer.issue(for: id, by: caller)
        return JSONResponse(DeployTokenView(issued), status: .created)
    }

    /// Public, so that deploy tooling can fetch it unattended: it holds public keys only.
    @Sendable func keySet(_ request: Request, context: GatewayContext) async throws -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: Self.keySetCacheControl],
            body: .init(byteBuffer: ByteBuffer(bytes: try issuer.publishedKeys().json))
        )
    }

    /// Admins schedule the token key's next generation; `switch_after_seconds` (default a day)
    /// gives verifiers time to fetch the JWKS with both keys, well past its five minutes' caching,
    /// before tokens are signed by the new one.
    @Sendable func rotate(_ request: Request, context: GatewayContext) async throws -> JSONResponse<DeployTokenKeyRotationView> {
        let caller = try context.requireIdentity().actor
        let body = try await BodyDecoding.decode(DeployTokenKeyRotationBody.self, from: request, limit: bodyLimit)
        let rotation = try await issuer.rotation.rotate(switchAfter: try KeyRotation.switchAfter(body), by: caller)
        return JSONResponse(keysView(rotation), status: .created)
    }

    /// Admins withdraw the key signing now, in an emergency: verifiers refuse its tokens as soon
    /// as they fetch the JWKS again (it may be cached for `keySetCacheControl`).
    @Sendable func distrust(_ request: Request, context: GatewayContext) async throws -> JSONResponse<DeployTokenKeyRotationView> {
        let caller = try context.requireIdentity().actor
        return JSONResponse(keysView(try await issuer.rotation.distrust(by: caller)))
    }

    private func keysView(_ keys: KeySet) -> DeployTokenKeyRotationView {
        DeployTokenKeyRotationView(keys: keys.published(at: issuer.clock.now()).map { published in
            DeployTokenKeyView(
                generation: published.generation.number, kid: DeployTokenKeySet.keyID(of: published.publicKey),
                signsFrom: published.generation.number == 1 ? nil : published.generation.signsFrom, retiresAt: published.generation.retiresAt
            )
        })
    }
}

extension DeployTokenView {
    init(_ issued: IssuedDeployToken) {
        self.init(
            token: issued.token.compact, jti: issued.token.claims.tokenID, serial: issued.serial.rawValue,
            expiresAt: issued.token.claims.expiresAt, kid: issued.token.keyID
        )
    }
}
