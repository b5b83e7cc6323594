import CountersignAPI
import CountersignCore
import CountersignStore
import CountersignWeb
import Foundation
import Hummingbird
import HTTPTypes
import WebAuthn

/// The reviewer pages: log in, work to review (self-refreshing: break-glass grants, then requests),
/// one request with its decision (a break-glass grant with its review), my requests, the
/// searchable history, and my security keys. Every page is rendered
/// on the server; the WebAuthn ceremonies run in `webauthn.js` against the JSON API. The pages
/// decide nothing: the same desks as the API apply the rules.
struct WebController {
    let sessions: SessionAuthority
    let desk: RequestDesk
    let breakGlass: BreakGlassDesk
    let keys: HardwareKeyDesk
    let renderer: PageRenderer
    let assets: StaticAssets
    let cookies: WebCookies
    let alarm: IntegrityAlarm
    let reviewRefreshSeconds: Int

    static let pageSize = 50
    static let contentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let decidedStates: Set<RequestState> = Set(RequestState.allCases).subtracting([.pending])

    func register(on router: Router<GatewayContext>) {
        router.get("/static/{file}", use: asset)
        let pages = router.group().add(middleware: WebSessionMiddleware(sessions: sessions, cookies: cookies, renderer: renderer, alarm: alarm))
        pages.get("/", use: home)
        pages.get("/login", use: loginForm)
        pages.post("/login", use: login)
        pages.post("/logout", use: logout)
        pages.get("/reviews", use: reviews)
        pages.get("/reviews/list", use: reviewList)
        pages.get("/requests/{id}", use: requestPage)
        pages.post("/requests/{id}/approve", use: approve)
        pages.post("/requests/{id}/deny", use: deny)
        pages.post("/requests/{id}/cancel", use: cancel)
        pages.post("/requests/{id}/end", use: endGrant)
        pages.get("/mine", use: mine)
        pages.get("/history", use: history)
        pages.get("/keys", use: keysPage)
    }

    // MARK: Signing in and out

    @Sendable func home(_ request: Request, context: GatewayContext) async throws -> SeeOther {
        SeeOther(location: context.identity == nil ? WebSessionMiddleware.loginPath : WebPaths.home)
    }

    @Sendable func loginForm(_ request: Request, context: GatewayContext) async throws -> Response {
        let next = WebPaths.local(request.uri.queryParameters.get("next"))
        if context.identity != nil { return try SeeOther(location: next).response(from: request, context: context) }
        let notice = request.uri.queryParameters.get("notice").flatMap(PageNotice.init(rawValue:))
        return try loginPage(next: next, notice: notice).response(from: request, context: context)
    }

    @Sendable func login(_ request: Request, context: GatewayContext) async throws -> Response {
        let form = context.form
        let next = WebPaths.local(form?["next"])
        let username = String((form?["username"] ?? "").prefix(64))
        guard let expected = cookies.loginToken(in: request),
              CSRFToken.constantTimeEqual(Array((form?["login_token"] ?? "").utf8), Array(expected.utf8)) else {
            return try loginPage(next: next, username: username, error: "This login form has expired or did not come from this gateway. Try again.", status: .forbidden)
                .response(from: request, context: context)
        }
        do {
            let session = try await sessions.login(username: username, password: form?["password"] ?? "", from: context.remoteAddress)
            return try SeeOther(location: next, cookies: [
                cookies.session(session.token, lifetime: sessions.lifetime),
                cookies.expired(cookies.loginName),
            ]).response(from: request, context: context)
        } catch let refusal as GatewayError {
            var response = try loginPage(next: next, username: username, error: refusal.message, status: refusal.status)
                .response(from: request, context: context)
            for field in refusal.headers { response.headers.append(field) }
            return response
        }
    }

    @Sendable func logout(_ request: Request, context: GatewayContext) async throws -> SeeOther {
        try await sessions.logout(try context.requireIdentity())
        return SeeOther(location: "\(WebSessionMiddleware.loginPath)?notice=\(PageNotice.loggedOut.rawValue)", cookies: [cookies.expired(cookies.sessionName)])
    }

    private func loginPage(next: String, username: String = "", error: String? = nil, notice: PageNotice? = nil, status: HTTPResponse.Status = .ok) -> HTMLResponse {
        let token = Base64URL.encode(HardwareKeyDesk.randomBytes(32))
        let page = LoginPage(loginToken: token, next: next, username: username, error: error, notice: notice)
        return HTMLResponse(html: renderer.render(page), status: status, cookies: [cookies.login(token)])
    }

    // MARK: Reviewing

    @Sendable func reviews(_ request: Request, context: GatewayContext) async throws -> HTMLResponse {
        let page = ReviewsPage(
            chrome: Self.chrome("To review", context, section: .reviews, notice: Self.notice(request)),
            grants: try await grantsToReview(try context.requireIdentity().actor), requests: try await reviewable(context),
            refreshSeconds: reviewRefreshSeconds
        )
        return HTMLResponse(html: renderer.render(page))
    }

    /// The list part of `/reviews` alone, fetched by the page's script to show new work.
    @Sendable func reviewList(_ request: Request, context: GatewayContext) async throws -> HTMLResponse {
        let grants = try await grantsToReview(try context.requireIdentity().actor)
        return HTMLResponse(html: renderer.render(ReviewList(grants: grants, requests: try await reviewable(context))))
    }

    private func reviewable(_ context: GatewayContext) async throws -> [RequestView] {
        let caller = try context.requireIdentity().actor
        let pending = try await desk.list(.reviewable, states: [], search: nil, before: nil, limit: RequestController.maximumPageSize, for: caller)
        return pending.requests.map { RequestView($0, caller: caller) }
    }

    @Sendable func requestPage(_ request: Request, context: GatewayContext) async throws -> HTMLResponse {
        let caller = try context.requireIdentity().actor
        let found = try await desk.request(try RequestPath.id(context), for: caller)
        let usableKeys = try await keys.keys(of: caller).filter(HardwareKeyRules.isUsable)
        let recordings = try await RequestRecordings.visible(of: found, to: caller, store: desk.store, at: desk.clock.now())
        let grant = found.kind == .breakGlass ? try grantPanel(found, for: caller, viewerHasKeys: !usableKeys.isEmpty) : nil
        let page = RequestPage(
            chrome: Self.chrome(found.id.rawValue, context, section: .none, notice: Self.notice(request), usesWebAuthn: true),
            request: RequestView(found, caller: caller), viewer: caller.name.rawValue,
            keysAvailable: keys.relyingParty != nil, viewerHasKeys: !usableKeys.isEmpty, code: try await desk.codeLinks(for: found),
            recordings: recordings, seesAllRecordings: RequestRules.oversees(caller), breakGlass: grant
        )
        return HTMLResponse(html: renderer.render(page))
    }

    @Sendable func approve(_ request: Request, context: GatewayContext) async throws -> SeeOther {
        try await act(context, notice: .approved) { caller in .approve(caller, method: .session) }
    }

    @Sendable func deny(_ request: Request, context: GatewayContext) async throws -> SeeOther {
        let reason = context.form?["reason"] ?? ""
        return try await act(context, notice: .denied) { caller in .deny(caller, reason: reason) }
    }

    @Sendable func cancel(_ request: Request, context: GatewayContext) async throws -> SeeOther {
        try await act(context, notice: .cancelled) { caller in .cancel(caller) }
    }

    /// As in the API, acting on a request one may not see is "not found".
    private func act(_ context: GatewayContext, notice: PageNotice, _ action: (Actor) -> RequestAction) async throws -> SeeOther {
        let caller = try context.requireIdentity().actor
        let id = try RequestPath.id(context)
        _ = try await desk.request(id, for: caller)
        _ = try await desk.act(on: id, action(caller))
        return SeeOther(location: "/requests/\(id)?notice=\(notice.rawValue)")
    }

    // MARK: Lists

    @Sendable func mine(_ request: Request, context: GatewayContext) async throws -> HTMLResponse {
        try await listPage(
            request, context, scope: .mine, states: [], section: .mine, heading: "My requests",
            introduction: "Everything you have asked for, newest first."
        )
    }

    @Sendable func history(_ request: Request, context: GatewayContext) async throws -> HTMLResponse {
        try await listPage(
            request, context, scope: .all, states: Self.decidedStates, section: .history, heading: "History",
            introduction: "Decided, cancelled, revoked and expired requests you may see. Nothing is removed after it expires."
        )
    }

    private func listPage(
        _ request: Request, _ context: GatewayContext, scope: RequestScope, states: Set<RequestState>,
        section: PageChrome.Section, heading: String, introduction: String
    ) async throws -> HTMLResponse {
        let caller = try context.requireIdentity().actor
        let query = request.uri.queryParameters
        let search = try RequestListingParameters.search(query) ?? ""
        let cursor = try RequestListingParameters.cursor(query)
        let page = try await desk.list(scope, states: states, search: search, before: cursor, limit: Self.pageSize, for: caller)
        let path = request.uri.path
        let older = page.next.map { next in
            "\(path)?before=\(next.token)" + (search.isEmpty ? "" : "&q=\(WebPaths.escapedQuery(search))")
        }
        return HTMLResponse(html: renderer.render(RequestListPage(
            chrome: Self.chrome(heading, context, section: section), heading: heading, introduction: introduction, action: path,
            query: search, requests: page.requests.map { RequestView($0, caller: caller) }, olderLink: older
        )))
    }

    // MARK: Keys

    @Sendable func keysPage(_ request: Request, context: GatewayContext) async throws -> HTMLResponse {
        let caller = try context.requireIdentity().actor
        let enrolled = try await keys.keys(of: caller)
        let page = KeysPage(
            chrome: Self.chrome("Security keys", context, section: .keys, notice: Self.notice(request), usesWebAuthn: true),
            keys: enrolled.map(KeyView.init), keysAvailable: keys.relyingParty != nil,
            removable: Set(enrolled.filter { key in
                !HardwareKeyRules.keysVouchingForRemoval(of: key.credentialID, among: enrolled).isEmpty
            }.map { KeyView($0).credentialId })
        )
        return HTMLResponse(html: renderer.render(page))
    }

    // MARK: Files

    @Sendable func asset(_ request: Request, context: GatewayContext) async throws -> Response {
        guard let name = context.parameters.get("file"), let asset = assets[name] else { throw GatewayError.notFound("file") }
        if request.headers[.ifNoneMatch] == asset.entityTag {
            return Response(status: .notModified, headers: [.eTag: asset.entityTag])
        }
        return Response(
            status: .ok,
            headers: [.contentType: asset.contentType, .eTag: asset.entityTag, .cacheControl: "no-cache", Self.contentTypeOptions: "nosniff"],
            body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes))
        )
    }

    // MARK: Page parts

    static func chrome(_ title: String, _ context: GatewayContext, section: PageChrome.Section, notice: PageNotice? = nil, usesWebAuthn: Bool = false) -> PageChrome {
        PageChrome(
            title: title, username: context.identity?.actor.name.rawValue,
            csrfToken: context.browserSessionToken.map(CSRFToken.derive(fromSessionToken:)), section: section,
            notice: notice, usesWebAuthn: usesWebAuthn
        )
    }

    static func notice(_ request: Request) -> PageNotice? {
        request.uri.queryParameters.get("notice").flatMap(PageNotice.init(rawValue:))
    }
}
