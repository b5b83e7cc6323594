import CountersignCore
import CountersignPolicyFiles
import Foundation
import Testing

@Suite("Policy tests run requests through the core and report each case")
struct PolicyTestRunnerTests {
    static let rules = """
        rules:
          - name: payments
            kind: deploy
            match: { service: "payments-*" }
            requesters: [payments]
            approvals:
              - { count: 1, group: payments-owners }
              - { count: 1, group: sre }
            hardware_key: false
          - name: keyed
            kind: ssh
            requesters: ["*"]
            approvals: [{ count: 1, group: sre }]
            max_duration: 2h
        """

    func run(_ tests: String) throws -> (PolicyFixture, [PolicyTestResult]) {
        let fixture = try PolicyFixture.withGroups(["deploy.yaml": Self.rules, "tests/cases.yaml": tests])
        let policy = try PolicyDirectory.load(fixture.url).policy
        return (fixture, PolicyTestRunner.run(try PolicyTestSuite.load(fixture.url), policy: policy))
    }

    @Test("a failing case is reported as a failure with its file and line")
    func reportsFailure() throws {
        let (fixture, results) = try run("""
            tests:
              - name: carol alone approves
                request: { kind: deploy, requester: alice, service: payments-api, environment: prod, reason: ship }
                approvals: [bob, dave]
                expect: approved
              - name: carol alone approves both   # <--
                request: { kind: deploy, requester: alice, service: payments-api, environment: prod, reason: ship }
                approvals: [carol]
                expect: approved
            """)
        defer { fixture.remove() }
        let line = try #require(fixture.markedLine(in: "tests/cases.yaml"))
        #expect(results.map(\.passed) == [true, false])
        let failure = results[1]
        #expect(failure.testCase.location == SourceLocation(file: "tests/cases.yaml", line: line))
        #expect(failure.failure.hasPrefix("expected approved, got pending under rule payments"))
        #expect(failure.description.hasPrefix("tests/cases.yaml:\(line): FAIL carol alone approves both: expected approved"))
        #expect(PolicyTestResult.summary(results) == "1 passed, 1 failed")
    }

    @Test("a case fails when another rule decides than the one it names")
    func reportsWrongRule() throws {
        let (fixture, results) = try run("""
            tests:
              - name: shell
                request: { kind: ssh, requester: alice, host: web-1, login: ubuntu, duration: 1h, reason: look }
                expect: pending
                expect_rule: payments
            """)
        defer { fixture.remove() }
        #expect(results.map(\.passed) == [false])
        #expect(results.first?.failure == "expected rule payments, got rule keyed")
    }

    static let outcomes: [(label: String, request: String, approvals: String, approveWith: String, expect: String)] = [
        ("an unmatched request is refused", "{ kind: deploy, requester: alice, service: web, environment: prod, reason: ship }", "[]", "hardware_key", "no_matching_rule"),
        ("a requester outside the requesters is refused", "{ kind: deploy, requester: carol, service: payments-api, environment: prod, reason: ship }", "[]", "hardware_key", "policy_refused"),
        ("ssh longer than the rule allows is refused", "{ kind: ssh, requester: alice, host: web-1, login: ubuntu, duration: 3h, reason: look }", "[]", "hardware_key", "refused"),
        ("the requester approving is self_approval", "{ kind: deploy, requester: bob, service: payments-api, environment: prod, reason: ship }", "[bob]", "session", "self_approval"),
        ("someone outside the clauses is not_eligible", "{ kind: deploy, requester: alice, service: payments-api, environment: prod, reason: ship }", "[erin]", "session", "not_eligible"),
        ("approving twice is already_approved", "{ kind: deploy, requester: alice, service: payments-api, environment: prod, reason: ship }", "[carol, carol]", "session", "already_approved"),
        ("a keyed rule refuses session approvals", "{ kind: ssh, requester: alice, host: web-1, login: ubuntu, duration: 1h, reason: look }", "[carol]", "session", "hardware_key_required"),
        ("a keyed rule takes approvals by key", "{ kind: ssh, requester: alice, host: web-1, login: ubuntu, duration: 1h, reason: look }", "[carol]", "hardware_key", "approved"),
        ("a session rule takes approvals by key too", "{ kind: deploy, requester: alice, service: payments-api, environment: prod, reason: ship }", "[carol, dave]", "hardware_key", "approved"),
        ("two distinct people complete two clauses", "{ kind: deploy, requester: alice, service: payments-api, environment: prod, reason: ship }", "[carol, dave]", "session", "approved"),
        ("the first error stops the approvals", "{ kind: deploy, requester: alice, service: payments-api, environment: prod, reason: ship }", "[erin, bob, dave]", "session", "not_eligible"),
    ]

    @Test("each outcome can be expected", arguments: outcomes)
    func outcome(_ example: (label: String, request: String, approvals: String, approveWith: String, expect: String)) throws {
        let (fixture, results) = try run("""
            tests:
              - name: case
                request: \(example.request)
                approvals: \(example.approvals)
                approve_with: \(example.approveWith)
                expect: \(example.expect)
            """)
        defer { fixture.remove() }
        #expect(results.count == 1)
        #expect(results.first?.passed == true, "\(results.first?.description ?? "no result")")
    }

    static let badCases: [BadPolicy] = [
        BadPolicy(label: "an unknown key in a case", file: "tests/cases.yaml", text: """
            tests:
              - name: case
                request: { kind: ssh, requester: alice, host: web-1, login: ubuntu, duration: 1h, reason: look }
                expected: pending   # <--
                expect: pending
            """, code: .unknownKey),
        BadPolicy(label: "a deploy key in an ssh request", file: "tests/cases.yaml", text: """
            tests:
              - name: case
                request:
                  kind: ssh
                  requester: alice
                  host: web-1
                  login: ubuntu
                  duration: 1h
                  service: api   # <--
                  reason: look
                expect: pending
            """, code: .unknownKey),
        BadPolicy(label: "an outcome that does not exist", file: "tests/cases.yaml", text: """
            tests:
              - name: case
                request: { kind: ssh, requester: alice, host: web-1, login: ubuntu, duration: 1h, reason: look }
                expect: allowed   # <--
            """, code: .badValue),
        BadPolicy(label: "an approval method that does not exist", file: "tests/cases.yaml", text: """
            tests:
              - name: case
                request: { kind: ssh, requester: alice, host: web-1, login: ubuntu, duration: 1h, reason: look }
                approvals: [carol]
                approve_with: password   # <--
                expect: approved
            """, code: .badValue),
        BadPolicy(label: "a short commit", file: "tests/cases.yaml", text: """
            tests:
              - name: case
                request:
                  kind: deploy
                  requester: alice
                  service: payments-api
                  environment: prod
                  commit: abc123   # <--
                  reason: ship
                expect: pending
            """, code: .badValue),
        BadPolicy(label: "an ssh request without a duration", file: "tests/cases.yaml", text: """
            tests:
              - name: case
                request: { kind: ssh, requester: alice, host: web-1, login: ubuntu, reason: look }   # <--
                expect: pending
            """, code: .missingKey),
        BadPolicy(label: "approvals as a single name", file: "tests/cases.yaml", text: """
            tests:
              - name: case
                request: { kind: ssh, requester: alice, host: web-1, login: ubuntu, duration: 1h, reason: look }
                approvals: carol   # <--
                expect: pending
            """, code: .badValue),
    ]

    @Test("a bad test file is refused with the code and line", arguments: badCases)
    func refusesBadTests(_ bad: BadPolicy) throws {
        let fixture = try PolicyFixture.withGroups(["deploy.yaml": Self.rules, bad.file: bad.text])
        defer { fixture.remove() }
        let line = try #require(fixture.markedLine(in: bad.file))
        do {
            _ = try PolicyTestSuite.load(fixture.url)
            Issue.record("the suite loaded")
        } catch {
            #expect(error.diagnostics.contains { $0.code == bad.code && $0.file == bad.file && $0.line == line },
                    "got:\n\(error.diagnostics.map(\.description).joined(separator: "\n"))")
        }
    }

    @Test("a directory without tests has an empty suite")
    func noTests() throws {
        let fixture = try PolicyFixture.withGroups(["deploy.yaml": Self.rules])
        defer { fixture.remove() }
        #expect(try PolicyTestSuite.load(fixture.url).cases.isEmpty)
    }
}
