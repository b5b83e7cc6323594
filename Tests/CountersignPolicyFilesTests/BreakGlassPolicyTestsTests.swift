import CountersignCore
import CountersignPolicyFiles
import Foundation
import Testing

@Suite("Policy tests break glass through the core and report each case")
struct BreakGlassPolicyTestsTests {
    /// Databases: sre on call, 15 minutes, a key always, a second SRE agrees; production: sre and
    /// payments on call, 30 minutes, a key whenever the user has one.
    static let rules = BreakGlassFileTests.file(
        BreakGlassFileTests.rule(),
        BreakGlassFileTests.rule(["match": "{ host: \"*.prod.internal\", login: \"*\" }", "on_call": "[sre, payments]", "max_duration": "", "agreement": "", "key_touch": ""], name: "prod")
    )

    func run(_ tests: String) throws -> (PolicyFixture, [PolicyTestResult]) {
        let fixture = try PolicyFixture.withGroups(["deploy.yaml": PolicyFixture.stagingRule, "break-glass.yaml": Self.rules, "tests/cases.yaml": tests])
        let policy = try PolicyDirectory.load(fixture.url).policy
        return (fixture, PolicyTestRunner.run(try PolicyTestSuite.load(fixture.url), policy: policy))
    }

    static let outcomes: [(label: String, attempt: String, expect: String, rule: String)] = [
        ("an on-call user without a key is in at once", "{ user: alice, host: web-1.prod.internal, login: ubuntu, incident: INC-1 }", "active", "prod"),
        ("a touch of an enrolled key lets them in", "{ user: alice, host: web-1.prod.internal, login: ubuntu, incident: INC-1, key: touched }", "active", "prod"),
        ("an enrolled key left untouched is refused", "{ user: alice, host: web-1.prod.internal, login: ubuntu, incident: INC-1, key: enrolled }", "break_glass_key_touch_required", "prod"),
        ("the database waits for a second SRE", "{ user: carol, host: db-1.prod.internal, login: postgres, incident: INC-1, key: touched }", "awaiting_agreement", "db"),
        ("the database always takes a key", "{ user: carol, host: db-1.prod.internal, login: postgres, incident: INC-1 }", "break_glass_key_touch_required", "db"),
        ("a payments engineer is not on call for the database", "{ user: alice, host: db-1.prod.internal, login: postgres, incident: INC-1, key: touched }", "break_glass_not_on_call", "db"),
        ("longer than the rule allows", "{ user: carol, host: db-1.prod.internal, login: postgres, incident: INC-1, key: touched, duration: 16m }", "break_glass_too_long", "db"),
        ("an incident of another form", "{ user: alice, host: web-1.prod.internal, login: ubuntu, incident: CHG-1 }", "break_glass_incident_mismatch", "prod"),
        ("any refusal is refused", "{ user: erin, host: web-1.prod.internal, login: ubuntu, incident: INC-1 }", "refused", "prod"),
    ]

    @Test("each break-glass outcome can be expected, with the rule that decided", arguments: outcomes)
    func outcome(_ example: (label: String, attempt: String, expect: String, rule: String)) throws {
        let (fixture, results) = try run("""
            tests:
              - name: case
                break_glass: \(example.attempt)
                expect: \(example.expect)
                expect_rule: \(example.rule)
            """)
        defer { fixture.remove() }
        #expect(results.map(\.passed) == [true], "\(results.map(\.description))")
    }

    @Test("an attempt no rule covers has no rule, and a failure says what happened instead")
    func failures() throws {
        let (fixture, results) = try run("""
            tests:
              - name: staging has no break-glass
                break_glass: { user: alice, host: web-1.staging.internal, login: ubuntu, incident: INC-1 }
                expect: break_glass_no_rule
              - name: wrongly expected in   # <--
                break_glass: { user: alice, host: web-1.staging.internal, login: ubuntu, incident: INC-1 }
                expect: active
                expect_rule: prod
              - name: the rule's longest by default
                break_glass: { user: alice, host: web-1.prod.internal, login: ubuntu, incident: INC-1 }
                expect: refused
            """)
        defer { fixture.remove() }
        let line = try #require(fixture.markedLine(in: "tests/cases.yaml"))
        #expect(results.map(\.passed) == [true, false, false])
        #expect(results[1].description == "tests/cases.yaml:\(line): FAIL wrongly expected in: expected active, got refused (break_glass_no_rule: no break-glass rule covers ubuntu@web-1.staging.internal); expected rule prod, got no matching rule")
        #expect(results[2].failure == "expected refused, got active under break-glass rule prod for 30m")
    }

    static let badCases: [BadPolicy] = [
        BadPolicy(label: "a case with both a request and a break-glass attempt", file: "tests/cases.yaml", text: """
            tests:
              - name: case   # <--
                request: { kind: ssh, requester: alice, host: web-1, login: ubuntu, duration: 1h, reason: look }
                break_glass: { user: alice, host: web-1.prod.internal, login: ubuntu, incident: INC-1 }
                expect: active
            """, code: .missingKey),
        BadPolicy(label: "a case with neither", file: "tests/cases.yaml", text: """
            tests:
              - name: case   # <--
                expect: active
            """, code: .missingKey),
        BadPolicy(label: "approvals of a break-glass attempt", file: "tests/cases.yaml", text: """
            tests:
              - name: case
                break_glass: { user: alice, host: web-1.prod.internal, login: ubuntu, incident: INC-1 }
                approvals: [carol]   # <--
                expect: active
            """, code: .unknownKey),
        BadPolicy(label: "a request's outcome expected of break-glass", file: "tests/cases.yaml", text: """
            tests:
              - name: case
                break_glass: { user: alice, host: web-1.prod.internal, login: ubuntu, incident: INC-1 }
                expect: approved   # <--
            """, code: .badValue),
        BadPolicy(label: "a break-glass outcome expected of a request", file: "tests/cases.yaml", text: """
            tests:
              - name: case
                request: { kind: ssh, requester: alice, host: web-1, login: ubuntu, duration: 1h, reason: look }
                expect: active   # <--
            """, code: .badValue),
        BadPolicy(label: "a key holding that does not exist", file: "tests/cases.yaml", text: """
            tests:
              - name: case
                break_glass:
                  user: alice
                  host: web-1.prod.internal
                  login: ubuntu
                  incident: INC-1
                  key: yes   # <--
                expect: active
            """, code: .badValue),
        BadPolicy(label: "an attempt without an incident", file: "tests/cases.yaml", text: """
            tests:
              - name: case
                break_glass: { user: alice, host: web-1.prod.internal, login: ubuntu }   # <--
                expect: active
            """, code: .missingKey),
        BadPolicy(label: "an unknown key in an attempt", file: "tests/cases.yaml", text: """
            tests:
              - name: case
                break_glass:
                  user: alice
                  host: web-1.prod.internal
                  login: ubuntu
                  ticket: INC-1   # <--
                  incident: INC-1
                expect: active
            """, code: .unknownKey),
        BadPolicy(label: "a host the gateway would refuse", file: "tests/cases.yaml", text: """
            tests:
              - name: case
                break_glass: { user: alice, host: "web 1", login: ubuntu, incident: INC-1 }   # <--
                expect: refused
            """, code: .badValue),
        BadPolicy(label: "longer than break-glass ever lasts", file: "tests/cases.yaml", text: """
            tests:
              - name: case
                break_glass:
                  user: alice
                  host: web-1.prod.internal
                  login: ubuntu
                  incident: INC-1
                  duration: 5h   # <--
                expect: refused
            """, code: .badDuration),
    ]

    @Test("a bad break-glass case is refused with the code and line", arguments: badCases)
    func refusesBadTests(_ bad: BadPolicy) throws {
        let fixture = try PolicyFixture.withGroups(["deploy.yaml": PolicyFixture.stagingRule, "break-glass.yaml": Self.rules, bad.file: bad.text])
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
}
