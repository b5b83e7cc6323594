import CountersignCore
import CountersignPolicyFiles
import Foundation
import Testing

@Suite("The shipped example policies")
struct ShippedPoliciesTests {
    @Test("load with their five rules in file order, each knowing where it was written")
    func loads() throws {
        let loaded = try PolicyDirectory.load(shippedPolicies)
        #expect(loaded.policy.rules.map(\.name) == [
            "payments-production-deploy", "production-deploy", "staging-deploy", "database-ssh", "production-ssh",
        ])
        #expect(loaded.files == ["break-glass.yaml", "deploy.yaml", "groups.yaml", "ssh.yaml"])
        #expect(loaded.fingerprint.count == 64)
        #expect(loaded.policy.rules.allSatisfy { $0.source?.file == "deploy.yaml" || $0.source?.file == "ssh.yaml" })
        #expect(loaded.warnings.isEmpty)
    }

    @Test("break-glass.yaml: the database rule first, then any production host, as written")
    func breakGlassRules() throws {
        let policy = try PolicyDirectory.load(shippedPolicies).policy
        #expect(policy.breakGlass.map(\.name) == ["database-break-glass", "production-break-glass"])
        let database = try #require(policy.breakGlass.first)
        #expect(database.host.pattern == "db-*.prod.internal" && database.login.pattern == "postgres" && database.onCall == ["sre"])
        #expect(database.maximumDurationSeconds == 15 * 60 && database.keyTouch == .always)
        #expect(database.agreement?.description == "1 from sre")
        #expect(database.channels.map(\.rawValue) == ["oncall-pagerduty", "security-slack"])
        #expect(database.reviewWindowSeconds == 24 * 3600 && database.reviewers == ["auditors"])
        #expect(database.source?.description == "break-glass.yaml:24")
        let production = try #require(policy.breakGlass.last)
        #expect(production.login.pattern == "*" && production.maximumDurationSeconds == 30 * 60 && production.keyTouch == .whenEnrolled)
        #expect(production.agreement == nil && production.channels.map(\.rawValue) == ["oncall-pagerduty"] && production.reviewers == ["auditors"])
    }

    @Test("payments-production-deploy reads as written in deploy.yaml")
    func paymentsRule() throws {
        let policy = try PolicyDirectory.load(shippedPolicies).policy
        let rule = try #require(policy.rule(named: "payments-production-deploy"))
        #expect(rule.kind == .deploy)
        #expect(rule.match.mapValues(\.pattern) == ["service": "payments-*", "environment": "production"])
        #expect(rule.requesters == ["payments"])
        #expect(rule.requirement.clauses.map(\.description) == ["1 from payments-owners", "1 from sre"])
        #expect(rule.requirement.hardwareKeyRequired, "the default: every approval a touch of a key")
        #expect(rule.pendingLifetimeSeconds == 4 * 3600)
        #expect(rule.maximumAccessSeconds == 3600)
        #expect(rule.reasonRule.minimumLength == 10)
        #expect(rule.reasonRule.ticketPattern?.pattern == "^(CHG|INC)-[0-9]+$")
        #expect(rule.source?.file == "deploy.yaml")
    }

    @Test("production-deploy keeps the default: approvals need a hardware key")
    func productionDefaults() throws {
        let rule = try #require(try PolicyDirectory.load(shippedPolicies).policy.rule(named: "production-deploy"))
        #expect(rule.requirement.hardwareKeyRequired)
        #expect(rule.pendingLifetimeSeconds == 24 * 3600)
        #expect(rule.reasonRule == ReasonRule(minimumLength: 1, ticketPattern: nil))
    }

    @Test("groups.yaml gives the demo users their groups")
    func groups() throws {
        let groups = try PolicyDirectory.load(shippedPolicies).policy.groups
        #expect(groups.groups(of: try Username("carol")) == ["payments-owners", "sre", "engineering"])
        #expect(groups.groups(of: try Username("erin")) == ["auditors", "admins"])
        #expect(groups.members(of: "payments") == [try Username("alice"), try Username("bob")])
    }

    @Test("lint finds no errors, only the documented warnings about SRE requesters")
    func lintsClean() {
        let diagnostics = PolicyLinter.lint(shippedPolicies)
        #expect(diagnostics.filter(\.isError) == [])
        // Two SREs cannot approve each other's requests under "2 from sre": lint says so.
        #expect(diagnostics.map(\.code) == [.unapprovableRequester, .unapprovableRequester])
        #expect(diagnostics.map(\.file) == ["deploy.yaml", "ssh.yaml"])
        #expect(diagnostics.allSatisfy { $0.message.contains("carol, dave") })
    }

    @Test("its policy tests all pass")
    func testsPass() throws {
        let loaded = try PolicyDirectory.load(shippedPolicies)
        let suite = try PolicyTestSuite.load(shippedPolicies)
        #expect(suite.files == ["tests/break-glass.yaml", "tests/deploy.yaml", "tests/ssh.yaml"])
        #expect(suite.cases.count >= 20)
        let results = PolicyTestRunner.run(suite, policy: loaded.policy)
        for result in results where !result.passed {
            Issue.record("\(result)")
        }
        #expect(PolicyTestResult.summary(results) == "\(suite.cases.count) passed, 0 failed")
    }

    @Test("its tests cover each outcome the brief asks for")
    func testsCoverOutcomes() throws {
        let suite = try PolicyTestSuite.load(shippedPolicies)
        let expectations = Set(suite.cases.map(\.expectation))
        for expected: PolicyTestExpectation in [
            .approved, .pending, .refused, .error(.selfApproval), .error(.notEligible),
            .error(.hardwareKeyRequired), .error(.alreadyApproved), .error(.noMatchingRule),
            .active, .awaitingAgreement,
        ] + BreakGlassRefusal.Code.allCases.map(PolicyTestExpectation.breakGlassRefused) {
            #expect(expectations.contains(expected), "no case expects \(expected)")
        }
    }

    @Test("the same files give the same fingerprint")
    func fingerprintIsStable() throws {
        #expect(try PolicyDirectory.load(shippedPolicies).fingerprint == PolicyDirectory.load(shippedPolicies).fingerprint)
    }
}
