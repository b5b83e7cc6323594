import CountersignPolicyFiles
import Foundation
import Testing

@Suite("Lint checks break-glass rules against groups.yaml")
struct BreakGlassLintTests {
    // groups.yaml of these tests: payments [alice, bob], payments-owners [bob, carol],
    // sre [carol, dave], solo [erin], and the groups a case adds.
    static func rule(_ overrides: [String: String] = [:], marking key: String? = nil, name: String = "db") -> String {
        BreakGlassFileTests.rule(overrides, marking: key, name: name)
    }

    static func file(_ rules: String...) -> String {
        "break_glass:\n" + rules.joined(separator: "\n")
    }

    static let groups = PolicyFixture.groups + "\n  auditors: [erin]\n  nobody: []\n  erin-too: [erin]\n"

    func lint(_ text: String) throws -> (PolicyFixture, [PolicyDiagnostic]) {
        let fixture = try PolicyFixture(["groups.yaml": Self.groups, "deploy.yaml": PolicyFixture.stagingRule, "break-glass.yaml": text])
        return (fixture, PolicyLinter.lint(fixture.url))
    }

    /// (label, rule text with a marked line, code, severity)
    static let findings: [(label: String, text: String, code: PolicyDiagnostic.Code, severity: PolicyDiagnostic.Severity)] = [
        ("an on-call group groups.yaml does not define", file(rule(["on_call": "[sres]"], marking: "on_call")), .unknownGroup, .error),
        ("an agreement group groups.yaml does not define", file(rule(["agreement": "{ count: 1, group: dba }"], marking: "agreement")), .unknownGroup, .error),
        ("a reviewer group groups.yaml does not define", file(rule(["reviewers": "[auditor]"], marking: "reviewers")), .unknownGroup, .error),
        ("an agreement of more people than its group has", file(rule(["agreement": "{ count: 3, group: sre }"], marking: "agreement")), .unsatisfiable, .error),
        ("an agreement from a group with no members", file(rule(["agreement": "{ count: 1, group: nobody }"], marking: "agreement")), .unsatisfiable, .error),
        ("an on-call group with no members", file(rule(["on_call": "[sre, nobody]"], marking: "on_call")), .emptyOnCall, .warning),
        ("an agreement the on-call group can only give itself", file(rule(["agreement": "{ count: 2, group: sre }"], marking: "on_call")), .unapprovableRequester, .warning),
        ("reviewers with no members", file(rule(["reviewers": "[nobody]"], marking: "reviewers")), .unreviewable, .warning),
        ("on call and the only reviewer", file(rule(["on_call": "[solo]", "agreement": "", "reviewers": "[erin-too]"], marking: "reviewers")), .unreviewable, .warning),
        ("a later rule covering nothing an earlier one does not", file(rule(["match": "{ host: \"*\", login: \"*\" }"]),
                                                                       rule(name: "later").replacingOccurrences(of: "  - name: later", with: "  - name: later   # <--")), .shadowedRule, .warning),
    ]

    @Test("each finding names its code and line", arguments: findings)
    func reportsFinding(_ example: (label: String, text: String, code: PolicyDiagnostic.Code, severity: PolicyDiagnostic.Severity)) throws {
        let (fixture, diagnostics) = try lint(example.text)
        defer { fixture.remove() }
        let line = try #require(fixture.markedLine(in: "break-glass.yaml"))
        let found = diagnostics.filter { $0.code == example.code && $0.file == "break-glass.yaml" && $0.line == line }
        #expect(found.map(\.severity) == [example.severity], "wanted \(example.code.rawValue) at line \(line), got:\n\(diagnostics.map(\.description).joined(separator: "\n"))")
        #expect(diagnostics.count == 1, "\(diagnostics.map(\.description))")
        // Well-formed files: loading accepts them, and lint of the loaded policy finds the same.
        let loaded = try PolicyDirectory.load(fixture.url)
        #expect(PolicyLinter.lint(loaded) == diagnostics)
    }

    @Test("an unknown on-call group suggests the one probably meant")
    func suggestsGroup() throws {
        let (fixture, diagnostics) = try lint(Self.file(Self.rule(["on_call": "[sres]"])))
        defer { fixture.remove() }
        #expect(diagnostics.map(\.message) == ["break-glass rule db: on-call group 'sres' is not defined in groups.yaml; did you mean 'sre'?"])
    }

    @Test("a user never agrees to their own grant: lint names the on-call members left without a second person")
    func namesStrandedUsers() throws {
        let (fixture, diagnostics) = try lint(Self.file(Self.rule(["on_call": "[sre, solo]", "agreement": "{ count: 1, group: erin-too }", "reviewers": "[payments-owners]"])))
        defer { fixture.remove() }
        // carol and dave have erin to agree; erin, on call too, has nobody.
        #expect(diagnostics.map(\.code) == [.unapprovableRequester])
        #expect(diagnostics.first?.message.contains("erin may break glass here, but nobody else could then give its agreement of 1 from erin-too") == true)
    }

    @Test("default reviewers that nobody is in are a warning at the rule")
    func defaultReviewers() throws {
        let fixture = try PolicyFixture.withGroups(["deploy.yaml": PolicyFixture.stagingRule, "break-glass.yaml": Self.file(Self.rule(["reviewers": ""]))])
        defer { fixture.remove() }
        let diagnostics = PolicyLinter.lint(fixture.url)
        #expect(diagnostics.map(\.code) == [.unreviewable])
        #expect(diagnostics.first?.line == 2)
        #expect(diagnostics.first?.message.contains("auditors (the default reviewers) has no members") == true)
    }

    @Test("break-glass rules and request rules never shadow each other, and narrower rules first are fine")
    func shadowingIsPerKind() throws {
        let text = PolicyFixture.stagingRule.replacingOccurrences(of: "rules:\n", with: "rules:\n  - name: any-ssh\n    kind: ssh\n    requesters: [payments]\n    approvals: [{ count: 1, group: sre }]\n")
            + "\n" + Self.file(Self.rule(), Self.rule(["match": "{ host: \"*.prod.internal\", login: \"*\" }"], name: "wide"))
        let fixture = try PolicyFixture(["groups.yaml": Self.groups, "deploy.yaml": text])
        defer { fixture.remove() }
        #expect(PolicyLinter.lint(fixture.url) == [])
    }
}
