import CountersignCore
import CountersignStore
import Foundation
import Testing

/// What every backend's request store must do, against the protocols alone, given a fresh store.
/// Tampering differs per backend, so the expiry function is handed a closure that edits a
/// request's content behind the store's back.
enum RequestStoreContract {
    typealias Fixtures = ContractFixtures

    static func createdRequestsReadBackAndTakeTheirIDOnce(_ store: some RequestStore & AuditLog) async throws {
        let clock = ManualClock()
        let deploy = try Fixtures.deploy(at: clock.now())
        let ssh = try Fixtures.ssh(at: clock.now())
        #expect(try await store.file(deploy) == deploy)
        _ = try await store.file(ssh)
        #expect(try await store.request(deploy.id) == deploy)
        #expect(try await store.request(ssh.id) == ssh)
        #expect(try await store.request(.random()) == nil)
        let records = try await store.auditRecords(after: 0, limit: 10)
        #expect(records.map(\.event.action) == [.requestCreated, .requestCreated])
        #expect(records.first?.event.subject == deploy.id.rawValue)

        let sameID = try Fixtures.deploy(by: "mallory", at: clock.now(), id: deploy.id)
        let error = await #expect(throws: StoreError.self) { _ = try await store.file(sameID) }
        #expect(error?.code == .alreadyExists)
        #expect(try await store.request(deploy.id) == deploy)
        #expect(try await store.auditRecords(after: 0, limit: 10).count == 2, "the refused creation left no event")
    }

    static func deployLookupFindsExactlyTheTargetNewestFirst(_ store: some RequestStore) async throws {
        let clock = ManualClock()
        let older = try await store.file(try Fixtures.deploy(at: clock.now()))
        clock.advance(by: 60)
        let newer = try await store.file(try Fixtures.deploy(by: "bob", at: clock.now()))
        let otherCommit = try await store.file(try Fixtures.deploy(commit: String(repeating: "f", count: 40), at: clock.now()))
        _ = try await store.file(try Fixtures.deploy(environment: "staging", at: clock.now()))
        _ = try await store.file(try Fixtures.deploy(service: "payments-web", at: clock.now()))
        _ = try await store.file(try Fixtures.ssh(at: clock.now()))
        guard case .deploy(let target) = older.target, case .deploy(let other) = otherCommit.target else {
            Issue.record("the fixtures are deploys")
            return
        }
        func found(_ target: DeployTarget, anyCommit: Bool = false, limit: Int = 10) async throws -> [RequestID] {
            try await store.deployRequests(
                service: target.service, environment: target.environment, commit: anyCommit ? nil : target.commit, limit: limit
            ).map(\.id)
        }
        #expect(try await found(target) == [newer.id, older.id])
        #expect(try await found(target, limit: 1) == [newer.id])
        #expect(try await found(other) == [otherCommit.id])
        #expect(try await Set(found(target, anyCommit: true)) == [newer.id, older.id, otherCommit.id])
        #expect(try await found(DeployTarget(service: "payments", environment: "qa", commit: other.commit)).isEmpty)
        for limit in [0, RequestQuery.maximumLimit + 1] {
            let error = await #expect(throws: StoreError.self) { _ = try await found(target, limit: limit) }
            #expect(error?.code == .invalidQuery)
        }
    }

    static func listingsNarrowByEveryFilter(_ store: some RequestStore) async throws {
        let clock = ManualClock()
        let first = try await store.file(try Fixtures.deploy(by: "alice", at: clock.now()))
        clock.advance(by: 1)
        let second = try await store.file(try Fixtures.ssh(by: "bob", at: clock.now()))
        clock.advance(by: 1)
        let third = try await store.file(try Fixtures.deploy(by: "bob", service: "ledger", at: clock.now()))
        let now = clock.now()
        let cancelled = try await store.update(third.id, at: now) { try RequestRules.apply(.cancel(try Fixtures.actor("bob")), to: $0, at: now) }

        #expect(try await store.requests(RequestQuery()) == [cancelled, second, first], "newest first")
        #expect(try await store.requests(RequestQuery(requester: try Fixtures.user("bob"))).map(\.id) == [third.id, second.id])
        #expect(try await store.requests(RequestQuery(kinds: [.ssh])).map(\.id) == [second.id])
        #expect(try await store.requests(RequestQuery(kinds: [.ssh, .deploy])).count == 3)
        #expect(try await store.requests(RequestQuery(states: [.cancelled])).map(\.id) == [third.id])
        #expect(try await store.requests(RequestQuery(states: [.pending, .cancelled])).count == 3)
        #expect(try await store.requests(RequestQuery(states: [.approved])).isEmpty)
        #expect(try await store.requests(RequestQuery(requester: try Fixtures.user("bob"), kinds: [.deploy], search: "ledger")).map(\.id) == [third.id])
        #expect(try await store.requests(RequestQuery(requester: try Fixtures.user("alice"), kinds: [.ssh])).isEmpty)
        #expect(try await store.requests(RequestQuery(limit: 2)).count == 2)
    }

    static func requestIDsWalkInIDOrder(_ store: some RequestStore) async throws {
        let clock = ManualClock()
        var ids: [RequestID] = []
        for index in 0..<5 {
            ids.append(try await store.file(try Fixtures.deploy(at: clock.now().addingTimeInterval(Double(index)))).id)
        }
        let sorted = ids.sorted { $0.rawValue < $1.rawValue }
        #expect(try await store.requestIDs(after: nil, limit: 10) == sorted)
        #expect(try await store.requestIDs(after: sorted[1], limit: 2) == Array(sorted[2...3]))
        #expect(try await store.requestIDs(after: sorted[4], limit: 10).isEmpty)
        for limit in [0, RequestQuery.maximumLimit + 1] {
            let error = await #expect(throws: StoreError.self) { _ = try await store.requestIDs(after: nil, limit: limit) }
            #expect(error?.code == .invalidQuery)
        }
    }

    /// Search covers the id, requester, reason, ticket and the target's values (not its keys),
    /// ASCII-case-insensitively, with `%`, `_` and `\` matching only themselves.
    static func searchMatchesLiterally(_ store: some RequestStore) async throws {
        let clock = ManualClock()
        let percent = try await store.file(try Fixtures.deploy(reason: "roll out to 100% of hosts", at: clock.now()))
        let underscore = try await store.file(try Fixtures.deploy(reason: "rename feature_flag", at: clock.now()))
        let backslash = try await store.file(try Fixtures.deploy(reason: #"fix the C:\temp path"#, at: clock.now()))
        let accented = try await store.file(try Fixtures.ssh(host: "db-2.prod.example.com", reason: "Éclair migration", at: clock.now()))
        func found(_ text: String) async throws -> Set<RequestID> {
            Set(try await store.requests(RequestQuery(search: text)).map(\.id))
        }
        #expect(try await found("%") == [percent.id])
        #expect(try await found("_") == [underscore.id])
        #expect(try await found(#"\"#) == [backslash.id])
        #expect(try await found(#"C:\t"#) == [backslash.id])
        #expect(try await found("100%") == [percent.id])
        #expect(try await found("FEATURE_FLAG") == [underscore.id], "ASCII letters fold")
        #expect(try await found("éclair").isEmpty, "letters outside ASCII do not")
        #expect(try await found("Éclair") == [accented.id])
        #expect(try await found("db-2.prod") == [accented.id], "a target's value")
        #expect(try await found("environment").isEmpty, "a target's key is not searched")
        #expect(try await found(String(percent.id.rawValue.dropFirst(3).prefix(10))) == [percent.id])
        #expect(try await found("INC-42") == [percent.id, underscore.id, backslash.id], "the ticket")
        #expect(try await found("ALICE") == [percent.id, underscore.id, backslash.id], "the requester")
    }

    /// Requests that between them exercise every clause of the audience rules: alice's own, one
    /// sre reviews, one dba reviews, one bob already approved, one closed, a break-glass grant
    /// security reviews.
    static func audiencesSeeWhatTheCoreAllows(_ store: some RequestStore) async throws {
        let clock = ManualClock()
        let start = clock.now()
        var requests = [
            try Fixtures.deploy(by: "alice", requirement: try Fixtures.requirement([(1, "payments")]), at: start),
            try Fixtures.deploy(by: "carol", requirement: try Fixtures.requirement([(2, "sre")]), at: start.addingTimeInterval(60)),
            try Fixtures.ssh(by: "carol", requirement: try Fixtures.requirement([(1, "dba")]), at: start.addingTimeInterval(120)),
            try Fixtures.deploy(by: "dave", requirement: try Fixtures.requirement([(2, "sre")]), at: start.addingTimeInterval(180)),
            try Fixtures.deploy(by: "dave", requirement: try Fixtures.requirement([(1, "sre")]), at: start.addingTimeInterval(240)),
        ]
        for request in requests { _ = try await store.file(request) }
        let now = start.addingTimeInterval(300)
        let bob = try Fixtures.actor("bob", groups: ["sre"])
        requests[3] = try await store.update(requests[3].id, at: now) { try RequestRules.apply(.approve(bob, method: .session), to: $0, at: now) }
        requests[4] = try await store.update(requests[4].id, at: now) { try RequestRules.apply(.cancel(try Fixtures.actor("dave")), to: $0, at: now) }
        requests.append(try await store.createRequest(try BreakGlassStoreContract.grant(by: "carol", at: start.addingTimeInterval(270))))
        let newestFirst = requests.reversed()
        let actors = [
            try Fixtures.actor("alice", groups: ["payments"]), bob, try Fixtures.actor("carol", groups: ["sre"]),
            try Fixtures.actor("erin", groups: ["auditors"]), try Fixtures.actor("frank", groups: ["admins"]),
            try Fixtures.actor("mallory", groups: []), try Fixtures.actor("dan", groups: ["dba", "payments"]),
            try Fixtures.actor("gina", groups: ["security"]),
        ]
        for actor in actors {
            for audience in [RequestAudience.viewer(actor), .reviewer(actor)] {
                let expected = newestFirst.filter { RequestRules.belongs($0, to: audience) }.map(\.id)
                #expect(try await store.requests(RequestQuery(audience: audience)).map(\.id) == expected, "\(audience)")
            }
        }
        // The audience is applied in the query: a page of one is the caller's, not an empty page
        // past a newer request they may not see.
        let alice = RequestAudience.viewer(try Fixtures.actor("alice", groups: ["payments"]))
        #expect(try await store.requests(RequestQuery(audience: alice, limit: 1)).map(\.id) == [requests[0].id])
    }

    static func cursorsWalkEveryRequestOnce(_ store: some RequestStore) async throws {
        let clock = ManualClock()
        var filed: [AccessRequest] = []
        for index in 0..<7 {
            // Pairs share a creation time: the id breaks the tie.
            filed.append(try await store.file(try Fixtures.deploy(at: clock.now().addingTimeInterval(Double(index / 2)))))
        }
        var seen: [RequestID] = []
        var cursor: RequestCursor?
        while true {
            let page = try await store.requests(RequestQuery(limit: 2, before: cursor))
            #expect(page.count <= 2)
            guard let last = page.last else { break }
            seen += page.map(\.id)
            cursor = RequestCursor(after: last)
        }
        let expected = filed.sorted { ($0.createdAt, $0.id.rawValue) > ($1.createdAt, $1.id.rawValue) }.map(\.id)
        #expect(seen == expected)
    }

    static func updatesPersistTheDecisionWithItsEvents(_ store: some RequestStore & AuditLog) async throws {
        let clock = ManualClock()
        let request = try await store.file(try Fixtures.deploy(at: clock.now()))
        let now = clock.now()
        let first = try await store.update(request.id, at: now) { current in
            #expect(current == request)
            return try RequestRules.apply(.approve(try Fixtures.actor("carol"), method: .session), to: current, at: now)
        }
        #expect(first.state == .pending)
        #expect(try await store.request(request.id) == first)
        let approved = try await store.update(request.id, at: now) { current in
            #expect(current == first, "the decision sees the committed state")
            return try RequestRules.apply(.approve(try Fixtures.actor("dave"), method: .session), to: current, at: now)
        }
        #expect(approved.state == .approved)
        #expect(approved.approvals.map(\.approver.rawValue) == ["carol", "dave"])
        #expect(try await store.request(request.id) == approved)
        #expect(try await store.auditRecords(after: 0, limit: 10).map(\.event.action) == [.requestCreated, .approvalRecorded, .approvalRecorded, .requestApproved])

        let missing = await #expect(throws: StoreError.self) {
            _ = try await store.update(.random(), at: now) { try RequestRules.apply(.expire, to: $0, at: now) }
        }
        #expect(missing?.code == .notFound)
    }

    static func aRefusingDecisionWritesNothing(_ store: some RequestStore & AuditLog) async throws {
        let clock = ManualClock()
        let request = try await store.file(try Fixtures.deploy(at: clock.now()))
        let now = clock.now()
        let refusal = DomainError(.notEligible, "carol is not in a group this request needs")
        let thrown = await #expect(throws: DomainError.self) {
            _ = try await store.update(request.id, at: now) { _ in throw refusal }
        }
        #expect(thrown == refusal, "rethrown unchanged")
        let selfApproval = await #expect(throws: DomainError.self) {
            _ = try await store.update(request.id, at: now) { try RequestRules.apply(.approve(try Fixtures.actor("alice"), method: .session), to: $0, at: now) }
        }
        #expect(selfApproval?.code == .selfApproval)
        let other = try await store.file(try Fixtures.deploy(at: now))
        let wrongRequest = await #expect(throws: StoreError.self) {
            _ = try await store.update(request.id, at: now) { _ in try RequestRules.apply(.cancel(try Fixtures.actor("alice")), to: other, at: now) }
        }
        #expect(wrongRequest?.code == .invalidChange)
        #expect(try await store.request(request.id) == request)
        #expect(try await store.request(other.id) == other)
        #expect(try await store.auditRecords(after: 0, limit: 10).count == 2, "only the two creations")
    }

    /// An approval once recorded is evidence: a change may add approvals, never alter one.
    static func approvalsAreNeverRewritten(_ store: some RequestStore & AuditLog) async throws {
        let clock = ManualClock()
        let original = try await store.file(try Fixtures.deploy(at: clock.now()))
        let now = clock.now()
        let approved = try await store.update(original.id, at: now) {
            try RequestRules.apply(.approve(try Fixtures.actor("carol"), method: .session), to: $0, at: now)
        }
        // Built from the copy without carol's approval: dave's would stand where carol's is.
        let rewrite = await #expect(throws: StoreError.self) {
            _ = try await store.update(original.id, at: now) { _ in
                try RequestRules.apply(.approve(try Fixtures.actor("dave"), method: .session), to: original, at: now)
            }
        }
        #expect(rewrite?.code == .invalidChange)
        #expect(try await store.request(original.id) == approved)
        #expect(try await store.auditRecords(after: 0, limit: 10).count == 2)
    }

    static func dueRequestsExpireAndATamperedOneIsPassedOver(
        _ store: some RequestStore & AuditLog, tamper: (RequestID) async throws -> Void
    ) async throws {
        let clock = ManualClock()
        let start = clock.now()
        let shortLived = try await store.file(try Fixtures.deploy(at: start, pendingFor: 60))
        let tampered = try await store.file(try Fixtures.deploy(by: "bob", at: start, pendingFor: 60))
        let longLived = try await store.file(try Fixtures.deploy(at: start, pendingFor: 3600))
        let access = try await store.file(try Fixtures.deploy(requirement: try Fixtures.requirement([(1, "sre")]), at: start, pendingFor: 3600))
        let granted = try await store.update(access.id, at: start) {
            try RequestRules.apply(.approve(try Fixtures.actor("carol"), method: .session), to: $0, at: start)
        }
        #expect(granted.state == .approved)
        let closed = try await store.file(try Fixtures.deploy(at: start, pendingFor: 60))
        _ = try await store.update(closed.id, at: start) { try RequestRules.apply(.cancel(try Fixtures.actor("alice")), to: $0, at: start) }
        try await tamper(tampered.id)
        let tamperedRead = await #expect(throws: StoreError.self) { _ = try await store.request(tampered.id) }
        #expect(tamperedRead?.code == .integrityViolation)
        #expect(tamperedRead?.subject == tampered.id.rawValue)

        #expect(try await store.expireDue(at: start.addingTimeInterval(59), limit: 10).isEmpty, "nothing is due yet")
        let before = try await store.auditRecords(after: 0, limit: 100).count
        let expired = try await store.expireDue(at: start.addingTimeInterval(60), limit: 10)
        #expect(expired.map(\.id) == [shortLived.id])
        #expect(expired.first?.state == .expired)
        #expect(try await store.request(shortLived.id)?.state == .expired)
        #expect(try await store.auditRecords(after: Int64(before), limit: 10).map(\.event.action) == [.requestExpired])
        #expect(try await store.request(closed.id)?.state == .cancelled, "a closed request is left alone")

        // The access window of the approved one (1800 s) ends; the long-lived pending one is due too.
        let later = try await store.expireDue(at: start.addingTimeInterval(3600), limit: 1)
        #expect(later.count == 1, "at most `limit` per call")
        let rest = try await store.expireDue(at: start.addingTimeInterval(3600), limit: 10)
        #expect(Set((later + rest).map(\.id)) == [longLived.id, access.id])
        #expect(try await store.expireDue(at: start.addingTimeInterval(3600), limit: 10).isEmpty)
        #expect(try await store.expireDue(at: start.addingTimeInterval(3600), limit: 0).isEmpty)
        let stillTampered = await #expect(throws: StoreError.self) { _ = try await store.request(tampered.id) }
        #expect(stillTampered?.code == .integrityViolation, "the tampered request stays unusable")
    }

    /// Deadlines are stored in whole milliseconds and a sweeper's clock is not: half a millisecond
    /// before its deadline a request is not yet due, and selecting it anyway would fail the batch.
    static func aRequestExpiresNotAMomentEarly(_ store: some RequestStore) async throws {
        let start = Date(millisecondsSinceEpoch: 1_800_000_000_000)
        let request = try await store.file(try Fixtures.deploy(at: start, pendingFor: 60))
        let other = try await store.file(try Fixtures.deploy(at: start, pendingFor: 30))
        let deadline = request.pendingExpiresAt
        #expect(try await store.expireDue(at: deadline.addingTimeInterval(-0.0004), limit: 10).map(\.id) == [other.id])
        #expect(try await store.request(request.id)?.state == .pending)
        #expect(try await store.expireDue(at: deadline, limit: 10).map(\.id) == [request.id])
    }

    static func countsCoverEveryKindAndState(_ store: some RequestStore) async throws {
        let clock = ManualClock()
        let now = clock.now()
        _ = try await store.file(try Fixtures.deploy(at: now))
        _ = try await store.file(try Fixtures.deploy(at: now))
        let ssh = try await store.file(try Fixtures.ssh(at: now))
        _ = try await store.update(ssh.id, at: now) { try RequestRules.apply(.cancel(try Fixtures.actor("bob")), to: $0, at: now) }
        let counts = try await store.requestCounts()
        #expect(counts.count == RequestKind.allCases.count * RequestState.allCases.count)
        #expect(counts.first { $0.kind == .deploy && $0.state == .pending }?.count == 2)
        #expect(counts.first { $0.kind == .ssh && $0.state == .cancelled }?.count == 1)
        #expect(counts.map(\.count).reduce(0, +) == 3)
    }
}
