import Crypto
import CountersignAPI
import CountersignCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The `/v1/break-glass` routes: break glass, list and show grants, end one, review one; and the
/// paging service's webhook that ends the grants of a resolved incident.
struct BreakGlassController {
    let desk: BreakGlassDesk
    /// For a person who breaks glass without a session: their attempts count under the login limits.
    let sessions: SessionAuthority
    /// The incident webhook's signing secrets (the current, and the previous while it rotates);
    /// empty when none is configured, and then the webhook route refuses everything.
    let webhookSecrets: [SymmetricKey]
    let bodyLimit: Int
    let metrics: GatewayMetrics
    let logger: Logger

    static let signatureField = HTTPField.Name(IncidentWebhook.signatureHeader)!
    static let defaultPageSize = 50
    static let maximumPageSize = 200

    func register(on routes: RouteRecorder) {
        routes.on(.post, "/v1/break-glass", use: breakGlass)
        routes.on(.post, "/v1/break-glass/key-challenge", use: keyChallenge)
        routes.on(.get, "/v1/break-glass", use: list)
        routes.on(.get, "/v1/break-glass/{id}", use: show)
        routes.on(.post, "/v1/break-glass/{id}/end", use: end)
        routes.on(.post, "/v1/break-glass/{id}/review-challenge", use: reviewChallenge)
        routes.on(.post, "/v1/break-glass/{id}/review", use: review)
        routes.on(.post, "/v1/webhooks/pagerduty", use: incidentWebhook)
    }

    @Sendable func breakGlass(_ request: Request, context: GatewayContext) async throws -> JSONResponse<BreakGlassGrantedView> {
        let body = try await BodyDecoding.decode(BreakGlassBody.self, from: request, limit: bodyLimit)
        let granted: BreakGlassGrantedView
        switch try await asker(of: body, context) {
        case .session(let caller):
            granted = try await desk.breakGlass(body, by: caller)
        case .keyAlone(let caller, let attempt):
            granted = try await desk.breakGlass(body, by: caller, keyAlone: true)
            try await sessions.succeeded(attempt)
        }
        var headers = HTTPFields()
        headers[.location] = "/v1/break-glass/\(granted.grant.request.id)"
        return JSONResponse(granted, status: .created, headers: headers)
    }

    @Sendable func keyChallenge(_ request: Request, context: GatewayContext) async throws -> JSONResponse<AssertionOptionsView> {
        let body = try await BodyDecoding.decode(BreakGlassBody.self, from: request, limit: bodyLimit)
        switch try await asker(of: body, context) {
        case .session(let caller):
            return JSONResponse(try await desk.keyChallenge(body, by: caller, keyAlone: false))
        case .keyAlone(let caller, _):
            return JSONResponse(try await desk.keyChallenge(body, by: caller, keyAlone: true))
        }
    }

    enum Asker {
        case session(Actor)
        /// No session: the body names the person, and only their key's touch over the ask can
        /// prove it. The attempt counts under the login limits until it does.
        case keyAlone(Actor, SessionAuthority.KeyAloneAttempt)
    }

    /// Who breaks glass: the session's person, or, when nothing at all was presented, the person
    /// the body's `user` names. A stale, machine or recording token is refused as everywhere else
    /// rather than passed over, and a `user` other than the session's is refused.
    private func asker(of body: BreakGlassBody, _ context: GatewayContext) async throws -> Asker {
        let presentedNothing = context.identity == nil && !context.presentedMachineToken && !context.presentedRecordingToken
            && !context.presentedStaleToken && !context.presentedCookieWithoutCSRF
        guard let named = body.user, presentedNothing else {
            let caller = try context.requireIdentity().actor
            if let named = body.user, named != caller.name.rawValue {
                throw DomainError(.invalidField, "user names someone other than the logged-in user; leave it out")
            }
            return .session(caller)
        }
        guard let user = try? Username(named) else { throw DomainError(.invalidField, "user is not a valid user name") }
        let attempt = try await sessions.admitKeyAlone(user, from: context.remoteAddress)
        return .keyAlone(sessions.directory.actor(user), attempt)
    }

    @Sendable func list(_ request: Request, context: GatewayContext) async throws -> JSONResponse<BreakGlassListView> {
        let caller = try context.requireIdentity().actor
        let query = request.uri.queryParameters
        let unreviewed = try query.get("unreviewed").map { value throws(GatewayError) in
            switch value {
            case "true": true
            case "false": false
            default: throw GatewayError.invalidQuery("unreviewed must be true or false")
            }
        } ?? false
        let limit = try query.get("limit").map { value throws(GatewayError) in
            guard let limit = Int(value), (1...Self.maximumPageSize).contains(limit) else {
                throw GatewayError.invalidQuery("limit must be between 1 and \(Self.maximumPageSize)")
            }
            return limit
        } ?? Self.defaultPageSize
        let grants = try await desk.list(unreviewedOnly: unreviewed, limit: limit, for: caller)
        return JSONResponse(BreakGlassListView(grants: try grants.map { try desk.view(of: $0, for: caller) }))
    }

    @Sendable func show(_ request: Request, context: GatewayContext) async throws -> JSONResponse<BreakGlassGrantView> {
        let caller = try context.requireIdentity().actor
        return JSONResponse(try desk.view(of: try await desk.grant(try RequestPath.id(context), for: caller), for: caller))
    }

    @Sendable func end(_ request: Request, context: GatewayContext) async throws -> JSONResponse<BreakGlassGrantView> {
        let caller = try context.requireIdentity().actor
        let id = try RequestPath.id(context)
        let body = try await BodyDecoding.decode(EndBreakGlassBody.self, from: request, limit: bodyLimit)
        return JSONResponse(try desk.view(of: try await desk.end(id, reason: body.reason, by: caller), for: caller))
    }

    @Sendable func reviewChallenge(_ request: Request, context: GatewayContext) async throws -> JSONResponse<AssertionOptionsView> {
        let caller = try context.requireIdentity().actor
        let id = try RequestPath.id(context)
        let body = try await BodyDecoding.decode(BreakGlassReviewBody.self, from: request, limit: bodyLimit)
        return JSONResponse(try await desk.reviewChallenge(id, body, by: caller))
    }

    @Sendable func review(_ request: Request, context: GatewayContext) async throws -> JSONResponse<BreakGlassGrantView> {
        let caller = try context.requireIdentity().actor
        let id = try RequestPath.id(context)
        let body = try await BodyDecoding.decode(BreakGlassReviewBody.self, from: request, limit: bodyLimit)
        return JSONResponse(try desk.view(of: try await desk.review(id, body, by: caller), for: caller))
    }

    /// Unauthenticated by session: the signature over the raw body is the authentication, checked
    /// before anything in the body is read. Answers 202 with how many grants it ended. A refused
    /// call is counted and logged, not audited: anyone can send one, and nobody outside may grow
    /// the audit log; a grant it ends is audited with the event's ids.
    @Sendable func incidentWebhook(_ request: Request, context: GatewayContext) async throws -> Response {
        guard !webhookSecrets.isEmpty else {
            throw GatewayError(status: .notFound, code: APIErrorCode.notFound, message: "no incident webhook is configured")
        }
        let buffer = try await request.body.collect(upTo: IncidentWebhook.maximumBodySize)
        let event: IncidentWebhook
        do throws(IncidentWebhook.Refusal) {
            event = try IncidentWebhook(
                body: Array(buffer.readableBytesView), signatureHeader: request.headers[Self.signatureField],
                secrets: webhookSecrets, at: desk.clock.now()
            )
        } catch {
            let refused = GatewayError(error)
            metrics.incidentWebhookRefused(refused.code)
            logger.warning("incident webhook refused", metadata: ["code": "\(refused.code)", "address": "\(context.remoteAddress)"])
            throw refused
        }
        let ended = try await desk.resolve(event)
        let body = "{\"ended\":\(ended.count)}"
        return Response(status: .accepted, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

extension GatewayError {
    init(_ refusal: IncidentWebhook.Refusal) {
        switch refusal {
        case .unsigned: self.init(status: .unauthorized, code: "webhook_unsigned", message: "the webhook carries no \(IncidentWebhook.signatureHeader)")
        case .badSignature: self.init(status: .unauthorized, code: "webhook_bad_signature", message: "no signature matches the body under a configured secret")
        case .malformed(let why): self.init(status: .badRequest, code: APIErrorCode.malformedBody, message: why)
        case .stale: self.init(status: .unauthorized, code: "webhook_stale", message: "the event is outside the replay window of \(Int(IncidentWebhook.replayWindow)) seconds")
        }
    }
}
