import CountersignAPI
import CountersignCore
import Foundation
import Notifications
import Testing
import TestSupport

/// A rule's everyday news through the gateway, to a real receiver on 127.0.0.1: its reviewers hear
/// of a new request with a link to its page, then of the decision, then of a revocation; an
/// approval that leaves the request pending says nothing; a rule that names no channel is silent.
@Suite("Everyday request notices")
struct RequestNoticesTests {
    /// The example policies, payments production deploys approved by sessions and announced on `siem`.
    static func policies(in directory: URL) throws -> URL {
        let policies = try GatewayHarness.sessionApprovalPolicies(in: directory)
        let rules = policies.appendingPathComponent("deploy.yaml")
        let text = try String(contentsOf: rules, encoding: .utf8)
        let marker = "  - name: payments-production-deploy\n"
        guard text.contains(marker) else { throw HarnessError("policies/deploy.yaml no longer has the payments production rule") }
        try text.replacingOccurrences(of: marker, with: marker + "    notify: [siem]\n").write(to: rules, atomically: true, encoding: .utf8)
        return policies
    }

    static func notices(_ receiver: HTTPReceiver) throws -> [(dedupKey: String, summary: String, details: [String: String], link: String?)] {
        try receiver.received.map { request in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
            return (
                object["dedup_key"] as? String ?? "", object["summary"] as? String ?? "", object["details"] as? [String: String] ?? [:],
                object["link"] as? String
            )
        }
    }

    static func deliverAll(_ harness: GatewayHarness) async throws {
        for _ in 0..<50 {
            await harness.gateway.dispatchNotifications()
            if try await harness.gateway.store.outboxTally().values.allSatisfy({ $0.pending == 0 }) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test("filed, approved by two, revoked: three notices on the rule's channel, each once, none for the first approval")
    func lifecycle() async throws {
        try await OutboxDispatchTests.withReceivingGateway(policies: Self.policies(in:), { $0.publicURL = "https://countersign.example.com" }) { harness, receiver in
            try await harness.run { api in
                let alice = try await api.login("alice")
                let bob = try await api.login("bob")
                let dave = try await api.login("dave")
                let erin = try await api.login("erin")
                let filed = try await api.filePaymentsDeploy(as: alice)
                try await Self.deliverAll(harness)
                _ = try await api.act("approve", filed.id, token: bob)
                try await Self.deliverAll(harness)
                #expect(try Self.notices(receiver).count == 1, "the first of two approvals says nothing")
                _ = try await api.act("approve", filed.id, token: dave)
                // Delivered before the revocation: notices of different events go out side by side.
                try await Self.deliverAll(harness)
                #expect(try await api.act("revoke", filed.id, token: erin, reason: "Rolled back instead").status == .ok)
                try await Self.deliverAll(harness)

                let notices = try Self.notices(receiver)
                #expect(notices.map(\.dedupKey) == ["request:\(filed.id):created", "request:\(filed.id):approved", "request:\(filed.id):revoked"])
                let created = try #require(notices.first)
                #expect(created.summary.contains("New deploy request \(filed.id) by alice") && created.summary.contains("1 from payments-owners"))
                #expect(created.details["reviewers"] == "payments-owners, sre" && created.details["service"] == "payments-api" && created.details["ticket"] == "CHG-1042")
                #expect(created.link == "https://countersign.example.com/requests/\(filed.id)")
                #expect(notices[1].summary.contains("Approved") && notices[1].details["approvers"] == "bob, dave")
                #expect(notices[2].summary.contains("Revoked") && notices[2].details["revoked_by"] == "erin" && notices[2].details["approvers"] == "bob, dave")
            }
        }
    }

    @Test("a rule that names no channel announces nothing")
    func silentRule() async throws {
        try await OutboxDispatchTests.withReceivingGateway { harness, receiver in
            try await harness.run { api in
                let alice = try await api.login("alice")
                _ = try await api.filePaymentsDeploy(as: alice)
                try await Self.deliverAll(harness)
                #expect(try await harness.gateway.store.outboxMessages(channel: nil, pendingOnly: false, limit: 10).isEmpty)
            }
            #expect(receiver.received.isEmpty)
        }
    }
}
