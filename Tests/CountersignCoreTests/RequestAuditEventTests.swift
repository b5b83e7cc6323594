import Foundation
import Testing
@testable import CountersignCore

/// The audit events one change must commit with, in order: action, actor, details. Subject and
/// time are the same for every row (the request id, and the moment of the action).
struct EventCase: Sendable, CustomTestStringConvertible {
    let name: String
    let start: Start
    let action: RequestAction
    let offset: TimeInterval
    let expected: [(AuditAction, String, [String: String])]

    var testDescription: String { name }
}

@Suite("Audit events of request changes")
struct RequestAuditEventTests {
    static let approvedDigest = Fixture.pendingRequest().contentDigest

    static let table: [EventCase] = [
        EventCase(
            name: "a first approval records the approval and the progress", start: .pending,
            action: .approve(Cast.bob, method: .session), offset: 60,
            expected: [(.approvalRecorded, "bob", ["progress": "sre: 1 of 1 ✓ · payments: 0 of 1", "method": "session"])]
        ),
        EventCase(
            name: "the completing approval records the approval, then the approval of the request", start: .partlyApproved,
            action: .approve(Cast.dave, method: .session), offset: 120.5,
            expected: [
                (.approvalRecorded, "dave", ["progress": "sre: 1 of 1 ✓ · payments: 1 of 1 ✓", "method": "session"]),
                (.requestApproved, "dave", [
                    "approvers": "bob,dave",
                    "access_expires_at": String(Fixture.created.addingTimeInterval(120.5 + 1800).millisecondsSinceEpoch),
                    "content_digest": approvedDigest,
                ]),
            ]
        ),
        EventCase(
            name: "a denial records the reviewer and the reason", start: .partlyApproved,
            action: .deny(Cast.dave, reason: "Wrong commit"), offset: 90,
            expected: [(.requestDenied, "dave", ["reason": "Wrong commit"])]
        ),
        EventCase(
            name: "a cancellation records the requester", start: .pending, action: .cancel(Cast.alice), offset: 90,
            expected: [(.requestCancelled, "alice", [:])]
        ),
        EventCase(
            name: "a revocation records who revoked and why", start: .approved,
            action: .revoke(Cast.erin, reason: "Incident over"), offset: 600,
            expected: [(.requestRevoked, "erin", ["reason": "Incident over"])]
        ),
        EventCase(
            name: "an unanswered request's expiry is recorded by the system", start: .pending, action: .expire, offset: 3600,
            expected: [(.requestExpired, AuditEvent.systemActor, ["was": "pending"])]
        ),
        EventCase(
            name: "the end of access is recorded by the system", start: .approved, action: .expire, offset: 1900,
            expected: [(.requestExpired, AuditEvent.systemActor, ["was": "approved"])]
        ),
    ]

    @Test("each change produces its audit events", arguments: table)
    func events(_ row: EventCase) throws {
        let now = Fixture.created.addingTimeInterval(row.offset)
        let change = try RequestRules.apply(row.action, to: try row.start.request, at: now)
        try #require(change.events.count == row.expected.count)
        for (event, (action, actor, details)) in zip(change.events, row.expected) {
            #expect(event.action == action)
            #expect(event.actor == actor)
            #expect(event.subject == Fixture.id.rawValue)
            #expect(event.time == now.truncatedToMilliseconds)
            #expect(event.details == details)
        }
    }

    @Test("the creation event carries the whole content, the rule and the content digest")
    func creation() throws {
        let request = try Start.pending.request
        let creation = RequestRules.create(request)
        #expect(creation.request == request)
        let event = try #require(creation.events.first)
        #expect(creation.events.count == 1)
        #expect(event.action == .requestCreated)
        #expect(event.actor == "alice")
        #expect(event.subject == Fixture.id.rawValue)
        #expect(event.time == Fixture.created)
        #expect(event.details == [
            "kind": "deploy",
            "service": "payments-api",
            "environment": "production",
            "commit": "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
            "reason": "Roll out the double-charge fix",
            "ticket": "INC-4711",
            "rule": "prod-deploy",
            "requirement": "1 from sre and 1 from payments",
            "content_digest": request.contentDigest,
        ])
    }

    @Test("the creation event of an ssh request carries host, login and duration")
    func sshCreation() throws {
        let draft = try RequestDraft(
            target: .ssh(try SSHTarget(host: "db-1.prod.example.com", login: "postgres", durationSeconds: 900)),
            reason: "Vacuum", ticket: "CHG-1"
        )
        let request = AccessRequest(
            id: Fixture.id, requester: Cast.bob.name, draft: draft, createdAt: Fixture.created, ruleName: "db-ssh",
            requirement: requirement([clause(2, "sre")]), pendingExpiresAt: Fixture.created.addingTimeInterval(600),
            accessDurationSeconds: 900
        )
        let details = try #require(RequestRules.create(request).events.first).details
        #expect(details["kind"] == "ssh")
        #expect(details["host"] == "db-1.prod.example.com")
        #expect(details["login"] == "postgres")
        #expect(details["duration_seconds"] == "900")
        #expect(details["requirement"] == "2 from sre")
        #expect(details["commit"] == nil)
    }
}
