import CountersignAPI
import CountersignServer
import Foundation
import HummingbirdTesting
import Testing

@Suite("Filing and deciding requests through the API")
struct RequestAPITests {
    @Test("A payments deploy needs an owner and an SRE, then is approved with its access window")
    func twoClauseApproval() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let alice = try await api.login("alice")
            let filed = try await api.filePaymentsDeploy(as: alice)
            #expect(filed.state == "pending")
            #expect(filed.requirement.rule == "payments-production-deploy")
            #expect(filed.requirement.summary == "payments-owners: 0 of 1 · sre: 0 of 1")
            #expect(filed.contentDigest.count == 64)

            let bob = try await api.login("bob")
            let afterBob = try api.decode(RequestView.self, try await api.act("approve", filed.id, token: bob))
            #expect(afterBob.state == "pending")
            #expect(afterBob.requirement.summary == "payments-owners: 1 of 1 ✓ · sre: 0 of 1")

            let dave = try await api.login("dave")
            let approved = try api.decode(RequestView.self, try await api.act("approve", filed.id, token: dave))
            #expect(approved.state == "approved")
            #expect(approved.approvals.map(\.approver) == ["bob", "dave"])
            let accessEnd = try #require(approved.accessExpiresAt)
            #expect(accessEnd == harness.clock.now().addingTimeInterval(3600).truncatedForTest)

            let shown = try api.decode(RequestView.self, try await api.send(.get, "/v1/requests/\(filed.id)", token: alice))
            #expect(shown == approved.withCallerMayReview(false))
        }
    }

    @Test("The requester can never approve their own request, even as a member of an approving group")
    func selfApprovalRefused() async throws {
        try await GatewayHarness.make().run { api in
            // bob is in payments (may request) and payments-owners (may approve).
            let bob = try await api.login("bob")
            let filed = try await api.filePaymentsDeploy(as: bob)
            let response = try await api.act("approve", filed.id, token: bob)
            #expect(response.status == .forbidden)
            #expect(try api.errorCode(response) == "self_approval")
            #expect(filed.callerMayReview == false)
        }
    }

    @Test("One person in two approving groups fills only one clause, and counts once")
    func twoPersonIntegrity() async throws {
        try await GatewayHarness.make().run { api in
            let alice = try await api.login("alice")
            let carol = try await api.login("carol")
            let filed = try await api.filePaymentsDeploy(as: alice)
            let afterCarol = try api.decode(RequestView.self, try await api.act("approve", filed.id, token: carol))
            #expect(afterCarol.state == "pending")
            let again = try await api.act("approve", filed.id, token: carol)
            #expect(again.status == .conflict)
            #expect(try api.errorCode(again) == "already_approved")
        }
    }

    @Test("Approving or denying a request that is already decided is a 409 conflict")
    func decidedRequestConflicts() async throws {
        try await GatewayHarness.make().run { api in
            let alice = try await api.login("alice")
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let filed = try await api.filePaymentsDeploy(as: alice)
            #expect(try await api.act("deny", filed.id, token: dave, reason: "Change freeze until Monday").status == .ok)
            let late = try await api.act("approve", filed.id, token: bob)
            #expect(late.status == .conflict)
            #expect(try api.errorCode(late) == "invalid_state")
            #expect(try await api.act("cancel", filed.id, token: alice).status == .conflict)
        }
    }

    @Test("Only the requester can cancel; anyone else is refused with 403")
    func cancelOnlyByRequester() async throws {
        try await GatewayHarness.make().run { api in
            let alice = try await api.login("alice")
            let bob = try await api.login("bob")
            let filed = try await api.filePaymentsDeploy(as: alice)
            let foreign = try await api.act("cancel", filed.id, token: bob)
            #expect(foreign.status == .forbidden)
            #expect(try api.errorCode(foreign) == "forbidden")
            let own = try api.decode(RequestView.self, try await api.act("cancel", filed.id, token: alice))
            #expect(own.state == "cancelled")
        }
    }

    @Test("A denial needs an eligible reviewer and a reason, and is final")
    func denialRules() async throws {
        try await GatewayHarness.make().run { api in
            let alice = try await api.login("alice")
            let erin = try await api.login("erin")
            let dave = try await api.login("dave")
            let filed = try await api.filePaymentsDeploy(as: alice)
            let byRequester = try await api.act("deny", filed.id, token: alice, reason: "Never mind")
            #expect(byRequester.status == .forbidden)
            let byAuditor = try await api.act("deny", filed.id, token: erin, reason: "Looks odd")
            #expect(try api.errorCode(byAuditor) == "not_eligible")
            let noReason = try await api.send(.post, "/v1/requests/\(filed.id)/deny", body: ReasonBody(reason: "   "), token: dave)
            #expect(noReason.status == .badRequest)
            let denied = try api.decode(RequestView.self, try await api.act("deny", filed.id, token: dave, reason: "Change freeze"))
            #expect(denied.state == "denied")
            #expect(denied.denial?.by == "dave")
            #expect(denied.denial?.reason == "Change freeze")
        }
    }

    @Test("A rule that requires a hardware key refuses session approvals with hardware_key_required")
    func hardwareKeyRequired() async throws {
        try await GatewayHarness.make().run { api in
            let alice = try await api.login("alice")
            let carol = try await api.login("carol")
            let created = try await api.send(.post, "/v1/requests", body: CreateRequestBody(
                kind: "deploy", service: "search-api", environment: "production", commit: API.commit,
                reason: "Ship the new ranking model", ticket: "CHG-7"
            ), token: alice)
            #expect(created.status == .created)
            let filed = try api.decode(RequestView.self, created)
            #expect(filed.requirement.hardwareKeyRequired)
            let response = try await api.act("approve", filed.id, token: carol)
            #expect(response.status == .forbidden)
            #expect(try api.errorCode(response) == "hardware_key_required")
            let still = try api.decode(RequestView.self, try await api.send(.get, "/v1/requests/\(filed.id)", token: alice))
            #expect(still.approvals.isEmpty)
        }
    }

    @Test("Bodies that are too large, not JSON, of an unknown kind or missing fields are refused precisely")
    func abusiveBodies() async throws {
        try await GatewayHarness.make().run { api in
            let alice = try await api.login("alice")
            let huge = try await api.raw(.post, "/v1/requests", bytes: Array(#"{"kind":"deploy","reason":""#.utf8) + Array(repeating: UInt8(ascii: "x"), count: 65 * 1024) + Array(#""}"#.utf8), token: alice)
            #expect(huge.status == .contentTooLarge)
            let broken = try await api.raw(.post, "/v1/requests", bytes: Array(#"{"kind":"deploy","#.utf8), token: alice)
            #expect(broken.status == .badRequest)
            #expect(try api.errorCode(broken) == APIErrorCode.malformedBody)
            let array = try await api.raw(.post, "/v1/requests", bytes: Array("[1,2]".utf8), token: alice)
            #expect(array.status == .badRequest)
            let unknownKind = try await api.send(.post, "/v1/requests", body: CreateRequestBody(kind: "teleport", reason: "Because", ticket: "CHG-1"), token: alice)
            #expect(unknownKind.status == .badRequest)
            #expect(try api.errorCode(unknownKind) == "invalid_field")
            let missingCommit = try await api.send(.post, "/v1/requests", body: CreateRequestBody(kind: "deploy", service: "payments-api", environment: "production", reason: "Because it is needed", ticket: "CHG-1"), token: alice)
            #expect(missingCommit.status == .badRequest)
            #expect(try api.decode(APIErrorBody.self, missingCommit).error.message.contains("commit"))
            let shortSHA = try await api.send(.post, "/v1/requests", body: CreateRequestBody(kind: "deploy", service: "payments-api", environment: "production", commit: "abc123", reason: "Because it is needed", ticket: "CHG-1"), token: alice)
            #expect(shortSHA.status == .badRequest)
            let mixed = try await api.send(.post, "/v1/requests", body: CreateRequestBody(kind: "deploy", service: "payments-api", environment: "production", commit: API.commit, host: "db-1", reason: "Because it is needed", ticket: "CHG-1"), token: alice)
            #expect(mixed.status == .badRequest)
            let escape = try await api.send(.post, "/v1/requests", body: CreateRequestBody(kind: "deploy", service: "payments-api", environment: "production", commit: API.commit, reason: "Fix \u{1b}[2J rounding", ticket: "CHG-1"), token: alice)
            #expect(escape.status == .badRequest)
            let unauthenticated = try await api.send(.post, "/v1/requests", body: CreateRequestBody(kind: "deploy", reason: "x", ticket: "y"))
            #expect(unauthenticated.status == .unauthorized)
        }
    }

    @Test("Requests the policy does not allow are refused with 422 naming the rule, and audited")
    func policyRefusals() async throws {
        try await GatewayHarness.make().run { api in
            let alice = try await api.login("alice")
            let unmatched = try await api.send(.post, "/v1/requests", body: CreateRequestBody(kind: "deploy", service: "payments-api", environment: "moon", commit: API.commit, reason: "Expand to the moon", ticket: "CHG-1"), token: alice)
            #expect(unmatched.status == .unprocessableContent)
            #expect(try api.errorCode(unmatched) == "no_matching_rule")
            let badTicket = try await api.send(.post, "/v1/requests", body: CreateRequestBody(kind: "deploy", service: "payments-api", environment: "production", commit: API.commit, reason: "Roll out the rounding fix", ticket: "JIRA-1"), token: alice)
            #expect(badTicket.status == .unprocessableContent)
            #expect(try api.errorCode(badTicket) == "policy_refused")
            #expect(try api.decode(APIErrorBody.self, badTicket).error.message.contains("payments-production-deploy"))
            let tooLong = try await api.send(.post, "/v1/requests", body: CreateRequestBody(kind: "ssh", host: "web-1.prod.internal", login: "deploy", durationSeconds: 8 * 3600, reason: "Investigate the outage", ticket: "INC-9"), token: alice)
            #expect(tooLong.status == .unprocessableContent)

            let erin = try await api.login("erin")
            let page = try api.decode(AuditPageView.self, try await api.send(.get, "/v1/audit?limit=1000", token: erin))
            #expect(page.events.filter { $0.action == "request.refused" }.count == 3)
        }
    }

    @Test("A request is invisible (404) to people who are neither involved nor overseers")
    func visibility() async throws {
        try await GatewayHarness.make().run { api in
            let alice = try await api.login("alice")
            let bob = try await api.login("bob")
            let created = try await api.send(.post, "/v1/requests", body: CreateRequestBody(kind: "ssh", host: "web-1.prod.internal", login: "deploy", durationSeconds: 3600, reason: "Investigate the outage", ticket: "INC-9"), token: alice)
            let filed = try api.decode(RequestView.self, created)
            #expect(try await api.send(.get, "/v1/requests/\(filed.id)", token: bob).status == .notFound)
            #expect(try await api.act("approve", filed.id, token: bob).status == .notFound)
            #expect(try await api.send(.get, "/v1/requests/\(filed.id)", token: try await api.login("erin")).status == .ok)
            #expect(try await api.send(.get, "/v1/requests/nonsense", token: bob).status == .notFound)
        }
    }

    @Test("A pending request past its lifetime refuses approval, and the sweep records its expiry")
    func pendingExpiry() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let alice = try await api.login("alice")
            let dave = try await api.login("dave")
            let filed = try await api.filePaymentsDeploy(as: alice)
            harness.clock.advance(by: 4 * 3600 + 1)
            let late = try await api.act("approve", filed.id, token: dave)
            #expect(late.status == .conflict)
            #expect(try api.errorCode(late) == "request_expired")
            await harness.gateway.sweepExpired()
            let expired = try api.decode(RequestView.self, try await api.send(.get, "/v1/requests/\(filed.id)", token: alice))
            #expect(expired.state == "expired")
        }
    }

    @Test("An approved request is revoked by its requester, not by another reviewer")
    func revoke() async throws {
        try await GatewayHarness.make().run { api in
            let alice = try await api.login("alice")
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let filed = try await api.filePaymentsDeploy(as: alice)
            _ = try await api.act("approve", filed.id, token: bob)
            _ = try await api.act("approve", filed.id, token: dave)
            #expect(try await api.act("revoke", filed.id, token: dave, reason: "Not needed").status == .forbidden)
            let revoked = try api.decode(RequestView.self, try await api.act("revoke", filed.id, token: alice, reason: "Rolled back instead"))
            #expect(revoked.state == "revoked")
            #expect(revoked.closeReason == "Rolled back instead")
        }
    }

    @Test("Lists filter by scope and state, and refuse unknown filters")
    func listing() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let alice = try await api.login("alice")
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let first = try await api.filePaymentsDeploy(as: alice)
            harness.clock.advance(by: 1)
            let second = try await api.filePaymentsDeploy(as: alice)
            _ = try await api.act("cancel", second.id, token: alice)

            let mine = try api.decode(RequestListView.self, try await api.send(.get, "/v1/requests?scope=mine", token: alice))
            #expect(mine.requests.map(\.id) == [second.id, first.id])
            let pending = try api.decode(RequestListView.self, try await api.send(.get, "/v1/requests?scope=mine&state=pending", token: alice))
            #expect(pending.requests.map(\.id) == [first.id])
            let reviewable = try api.decode(RequestListView.self, try await api.send(.get, "/v1/requests?scope=reviewable", token: dave))
            #expect(reviewable.requests.map(\.id) == [first.id])
            #expect(reviewable.requests.allSatisfy { $0.callerMayReview })
            _ = try await api.act("approve", first.id, token: bob)
            let bobReviewable = try api.decode(RequestListView.self, try await api.send(.get, "/v1/requests?scope=reviewable", token: bob))
            #expect(bobReviewable.requests.isEmpty)

            let paged = try api.decode(RequestListView.self, try await api.send(.get, "/v1/requests?scope=mine&limit=1", token: alice))
            let cursor = try #require(paged.nextCursor)
            let next = try api.decode(RequestListView.self, try await api.send(.get, "/v1/requests?scope=mine&limit=1&before=\(cursor)", token: alice))
            #expect(next.requests.map(\.id) == [first.id])

            #expect(try await api.send(.get, "/v1/requests?scope=everything", token: alice).status == .badRequest)
            #expect(try await api.send(.get, "/v1/requests?state=done", token: alice).status == .badRequest)
            #expect(try await api.send(.get, "/v1/requests?limit=100000", token: alice).status == .badRequest)
            #expect(try await api.send(.get, "/v1/requests?before=garbage", token: alice).status == .badRequest)
        }
    }

    @Test("Explain names the rule, where it is written, and what is still missing")
    func explain() async throws {
        try await GatewayHarness.make().run { api in
            let alice = try await api.login("alice")
            let filed = try await api.filePaymentsDeploy(as: alice)
            _ = try await api.act("approve", filed.id, token: try await api.login("carol"))
            let explanation = try api.decode(ExplanationView.self, try await api.send(.get, "/v1/requests/\(filed.id)/explain", token: alice))
            #expect(explanation.rule == "payments-production-deploy")
            #expect(explanation.ruleSource?.hasPrefix("deploy.yaml:") == true)
            #expect(explanation.currentRule == "payments-production-deploy")
            #expect(explanation.missing == ["1 more approval from sre"] || explanation.missing == ["1 more approval from payments-owners"])
        }
    }
}

extension Date {
    var truncatedForTest: Date { Date(timeIntervalSince1970: (timeIntervalSince1970 * 1000).rounded() / 1000) }
}

extension RequestView {
    func withCallerMayReview(_ value: Bool) -> RequestView {
        RequestView(
            id: id, kind: kind, state: state, requester: requester, target: target, reason: reason, ticket: ticket,
            contentDigest: contentDigest, createdAt: createdAt, updatedAt: updatedAt, pendingExpiresAt: pendingExpiresAt,
            accessExpiresAt: accessExpiresAt, accessDurationSeconds: accessDurationSeconds, requirement: requirement,
            approvals: approvals, denial: denial, closedBy: closedBy, closeReason: closeReason,
            certificate: certificate, rollout: rollout, callerMayReview: value
        )
    }
}
