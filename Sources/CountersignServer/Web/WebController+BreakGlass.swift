import CountersignAPI
import CountersignCore
import CountersignStore
import CountersignWeb
import Foundation
import Hummingbird

/// What the pages add for break-glass grants: the grants waiting on a reviewer, a grant's own part
/// of its page, and ending a grant from it. The review itself is a key ceremony in `webauthn.js`
/// against the JSON API; as everywhere in the pages, the break-glass desk applies the rules.
extension WebController {
    /// The grants waiting on the caller's review, in the order to take them.
    func grantsToReview(_ caller: Actor) async throws -> [BreakGlassGrantView] {
        let unreviewed = try await breakGlass.list(unreviewedOnly: true, limit: BreakGlassQuery.maximumLimit, for: caller)
        return try BreakGlassReviewRules.awaitingReview(unreviewed, by: caller).map { try breakGlass.view(of: $0, for: caller) }
    }

    func grantPanel(_ grant: AccessRequest, for caller: Actor, viewerHasKeys: Bool) throws -> BreakGlassPanel {
        let now = breakGlass.clock.now()
        let isOpen = BreakGlassRules.isOpen(grant, at: now)
        // Who ended it is named with the capacity the rules give them today.
        let closer = grant.closedBy.flatMap { BreakGlassRules.closer(sessions.directory.actor($0), of: grant) }
        return BreakGlassPanel(
            grant: try breakGlass.view(of: grant, for: caller), viewer: caller.name.rawValue,
            mayReview: BreakGlassReviewRules.awaitsReview(grant, by: caller),
            mayEnd: BreakGlassRules.closer(caller, of: grant) != nil, isOpen: isOpen,
            closer: closer.flatMap { BreakGlassPanel.Closer(rawValue: $0.rawValue) },
            keysAvailable: keys.relyingParty != nil, viewerHasKeys: viewerHasKeys, notesMaximumLength: BreakGlassReview.maximumNotesLength
        )
    }

    /// Ends a grant from its page. As in the API, a grant one may not see is "not found".
    @Sendable func endGrant(_ request: Request, context: GatewayContext) async throws -> SeeOther {
        let caller = try context.requireIdentity().actor
        let id = try RequestPath.id(context)
        _ = try await breakGlass.end(id, reason: context.form?["reason"] ?? "", by: caller)
        return SeeOther(location: "/requests/\(id)?notice=\(PageNotice.ended.rawValue)")
    }
}
