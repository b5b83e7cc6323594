import CountersignAPI
import CountersignCore
import CountersignStore
import Hummingbird

/// The `/v1/requests` routes: file, list, show, explain, and act on requests.
struct RequestController {
    let desk: RequestDesk
    let policies: PolicyHolder
    let bodyLimit: Int

    static let defaultPageSize = 50
    static let maximumPageSize = 200

    func register(on routes: RouteRecorder) {
        routes.on(.post, "/v1/requests", use: create)
        routes.on(.get, "/v1/requests", use: list)
        routes.on(.get, "/v1/requests/{id}", use: show)
        routes.on(.get, "/v1/requests/{id}/explain", use: explain)
        routes.on(.post, "/v1/requests/{id}/approve", use: approve)
        routes.on(.post, "/v1/requests/{id}/deny", use: deny)
        routes.on(.post, "/v1/requests/{id}/cancel", use: cancel)
        routes.on(.post, "/v1/requests/{id}/revoke", use: revoke)
    }

    @Sendable func create(_ request: Request, context: GatewayContext) async throws -> JSONResponse<RequestView> {
        let caller = try context.requireIdentity().actor
        let body = try await BodyDecoding.decode(CreateRequestBody.self, from: request, limit: bodyLimit)
        let created = try await desk.create(body, by: caller)
        var headers = HTTPFields()
        headers[.location] = "/v1/requests/\(created.id)"
        return JSONResponse(RequestView(created, caller: caller), status: .created, headers: headers)
    }

    @Sendable func list(_ request: Request, context: GatewayContext) async throws -> JSONResponse<RequestListView> {
        let caller = try context.requireIdentity().actor
        let query = request.uri.queryParameters
        let scope = try query.get("scope").map { value throws(GatewayError) in
            guard let scope = RequestScope(rawValue: String(value)) else {
                throw GatewayError.invalidQuery("scope must be one of \(RequestScope.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return scope
        } ?? .all
        var states = Set<RequestState>()
        for value in query.getAll("state") {
            for name in value.split(separator: ",") {
                guard let state = RequestState(rawValue: String(name)) else {
                    throw GatewayError.invalidQuery("state must be one of \(RequestState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                states.insert(state)
            }
        }
        let limit = try query.get("limit").map { value throws(GatewayError) in
            guard let limit = Int(value), (1...Self.maximumPageSize).contains(limit) else {
                throw GatewayError.invalidQuery("limit must be between 1 and \(Self.maximumPageSize)")
            }
            return limit
        } ?? Self.defaultPageSize
        let page = try await desk.list(
            scope, states: states, search: try RequestListingParameters.search(query),
            before: try RequestListingParameters.cursor(query), limit: limit, for: caller
        )
        return JSONResponse(RequestListView(requests: page.requests.map { RequestView($0, caller: caller) }, nextCursor: page.next?.token))
    }

    @Sendable func show(_ request: Request, context: GatewayContext) async throws -> JSONResponse<RequestView> {
        let caller = try context.requireIdentity().actor
        return JSONResponse(RequestView(try await desk.request(try requestID(context), for: caller), caller: caller))
    }

    @Sendable func explain(_ request: Request, context: GatewayContext) async throws -> JSONResponse<ExplanationView> {
        let caller = try context.requireIdentity().actor
        let found = try await desk.request(try requestID(context), for: caller)
        return JSONResponse(PolicyExplanation.explain(found, under: policies.current.policy))
    }

    @Sendable func approve(_ request: Request, context: GatewayContext) async throws -> JSONResponse<RequestView> {
        try await act(request, context) { caller, _ in .approve(caller, method: .session) }
    }

    @Sendable func deny(_ request: Request, context: GatewayContext) async throws -> JSONResponse<RequestView> {
        let body = try await BodyDecoding.decode(ReasonBody.self, from: request, limit: bodyLimit)
        return try await act(request, context) { caller, _ in .deny(caller, reason: body.reason) }
    }

    @Sendable func cancel(_ request: Request, context: GatewayContext) async throws -> JSONResponse<RequestView> {
        try await act(request, context) { caller, _ in .cancel(caller) }
    }

    @Sendable func revoke(_ request: Request, context: GatewayContext) async throws -> JSONResponse<RequestView> {
        let body = try await BodyDecoding.decode(ReasonBody.self, from: request, limit: bodyLimit)
        return try await act(request, context) { caller, _ in .revoke(caller, reason: body.reason) }
    }

    /// Acting on a request one may not see answers 404, exactly as for one that does not exist.
    private func act(_ request: Request, _ context: GatewayContext, _ action: (Actor, CountersignCore.RequestID) -> RequestAction) async throws -> JSONResponse<RequestView> {
        let caller = try context.requireIdentity().actor
        let id = try requestID(context)
        _ = try await desk.request(id, for: caller)
        let updated = try await desk.act(on: id, action(caller, id))
        return JSONResponse(RequestView(updated, caller: caller))
    }

    private func requestID(_ context: GatewayContext) throws -> CountersignCore.RequestID {
        try RequestPath.id(context)
    }
}

/// The `{id}` of a `/v1/requests/{id}/…` route: an id that cannot exist is simply not found.
enum RequestPath {
    static func id(_ context: GatewayContext) throws -> CountersignCore.RequestID {
        guard let raw = context.parameters.get("id") else { throw GatewayError.notFound("request") }
        do {
            return try CountersignCore.RequestID(raw)
        } catch {
            throw GatewayError.notFound("request \(raw.prefix(40))")
        }
    }
}

extension GatewayError {
    static func invalidQuery(_ message: String) -> GatewayError {
        GatewayError(status: .badRequest, code: DomainError.Code.invalidField.rawValue, message: message)
    }
}
