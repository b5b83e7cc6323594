import CountersignAPI
import CountersignCore
import Hummingbird
import WebAuthn

/// Hardware keys: invites (admins), enrolment, listing and removal (each user for themselves, with
/// a touch of another key; admins for anyone), and the two steps of a hardware-key approval.
struct KeyController {
    let keys: HardwareKeyDesk
    let bodyLimit: Int

    func register(on routes: RouteRecorder) {
        routes.on(.post, "/v1/admin/invites", use: invite)
        routes.on(.post, "/v1/keys/registration-options", use: registrationOptions)
        routes.on(.post, "/v1/keys", use: enrol)
        routes.on(.get, "/v1/keys", use: list)
        routes.on(.post, "/v1/keys/{credential}/removal-options", use: removalOptions)
        routes.on(.post, "/v1/keys/{credential}/remove", use: removeWithTouch)
        routes.on(.delete, "/v1/users/{user}/keys/{credential}", use: removeAsAdmin)
        routes.on(.post, "/v1/requests/{id}/approval-options", use: approvalOptions)
        routes.on(.post, "/v1/requests/{id}/approve-with-key", use: approve)
    }

    @Sendable func invite(_ request: Request, context: GatewayContext) async throws -> JSONResponse<InviteView> {
        let caller = try context.requireIdentity().actor
        let body = try await BodyDecoding.decode(InviteBody.self, from: request, limit: bodyLimit)
        return JSONResponse(try await keys.invite(body, by: caller), status: .created)
    }

    @Sendable func registrationOptions(_ request: Request, context: GatewayContext) async throws -> JSONResponse<RegistrationOptionsView> {
        JSONResponse(try await keys.registrationOptions(for: try context.requireIdentity().actor))
    }

    @Sendable func enrol(_ request: Request, context: GatewayContext) async throws -> JSONResponse<KeyView> {
        let caller = try context.requireIdentity().actor
        let body = try await BodyDecoding.decode(EnrolKeyBody.self, from: request, limit: bodyLimit)
        return JSONResponse(KeyView(try await keys.enrol(body, by: caller)), status: .created)
    }

    @Sendable func list(_ request: Request, context: GatewayContext) async throws -> JSONResponse<KeyListView> {
        JSONResponse(KeyListView(keys: try await keys.keys(of: try context.requireIdentity().actor).map(KeyView.init)))
    }

    @Sendable func removalOptions(_ request: Request, context: GatewayContext) async throws -> JSONResponse<AssertionOptionsView> {
        let caller = try context.requireIdentity().actor
        return JSONResponse(try await keys.removalOptions(for: try Self.parameter("credential", context), by: caller))
    }

    @Sendable func removeWithTouch(_ request: Request, context: GatewayContext) async throws -> Response {
        let caller = try context.requireIdentity().actor
        let body = try await BodyDecoding.decode(AssertionBody.self, from: request, limit: bodyLimit)
        try await keys.remove(try Self.parameter("credential", context), body, by: caller)
        return Response(status: .noContent)
    }

    @Sendable func removeAsAdmin(_ request: Request, context: GatewayContext) async throws -> Response {
        let caller = try context.requireIdentity().actor
        try await keys.remove(try Self.parameter("credential", context), of: try Self.parameter("user", context), by: caller)
        return Response(status: .noContent)
    }

    private static func parameter(_ name: String, _ context: GatewayContext) throws -> String {
        guard let value = context.parameters.get(name), value.utf8.count <= 2048 else { throw GatewayError.notFound(name) }
        return value
    }

    @Sendable func approvalOptions(_ request: Request, context: GatewayContext) async throws -> JSONResponse<AssertionOptionsView> {
        let caller = try context.requireIdentity().actor
        return JSONResponse(try await keys.approvalOptions(for: try RequestPath.id(context), by: caller))
    }

    @Sendable func approve(_ request: Request, context: GatewayContext) async throws -> JSONResponse<RequestView> {
        let caller = try context.requireIdentity().actor
        let body = try await BodyDecoding.decode(AssertionBody.self, from: request, limit: bodyLimit)
        let approved = try await keys.approve(try RequestPath.id(context), body, by: caller)
        return JSONResponse(RequestView(approved, caller: caller))
    }
}

extension KeyView {
    init(_ key: EnrolledKey) {
        self.init(
            credentialId: Base64URL.encode(key.credentialID), name: key.name, attestation: key.attestation,
            enrolledAt: key.enrolledAt, lastUsedAt: key.lastUsedAt, flaggedAt: key.flaggedAt
        )
    }
}
