import CountersignPolicyFiles
import Foundation
import Testing

@Suite("Lint checks what a policy means against groups.yaml")
struct PolicyLinterTests {
    // groups.yaml of these tests: payments [alice, bob], payments-owners [bob, carol],
    // sre [carol, dave], solo [erin].
    static let errors: [BadPolicy] = [
        BadPolicy(label: "a requester group groups.yaml does not define", file: "deploy.yaml", text: """
            rules:
              - name: staging
                kind: deploy
                requesters: [payment]   # <--
                approvals: [{ count: 1, group: sre }]
                hardware_key: false
            """, code: .unknownGroup),
        BadPolicy(label: "an approval group groups.yaml does not define", file: "deploy.yaml", text: """
            rules:
              - name: staging
                kind: deploy
                requesters: [payments]
                approvals:
                  - { count: 1, group: sres }   # <--
            """, code: .unknownGroup),
        BadPolicy(label: "two approvals from a group of one", file: "deploy.yaml", text: """
            rules:
              - name: staging
                kind: deploy
                requesters: [payments]
                approvals:
                  - { count: 2, group: solo }   # <--
            """, code: .unsatisfiable),
        BadPolicy(label: "one person in both groups of a two-clause rule, and nobody else", file: "deploy.yaml", text: """
            rules:
              - name: staging
                kind: deploy
                requesters: [payments]
                approvals:
                  - { count: 1, group: solo }
                  - { count: 1, group: also-erin }   # <--
            """, code: .unsatisfiable, extraFiles: ["groups.yaml": """
            groups:
              payments: [alice, bob]
              solo: [erin]
              also-erin: [erin]
            """]),
        BadPolicy(label: "three seats across groups with two people in all", file: "deploy.yaml", text: """
            rules:
              - name: staging
                kind: deploy
                requesters: [payments]
                approvals:
                  - { count: 1, group: payments-owners }
                  - { count: 1, group: sre }
                  - { count: 1, group: sre }   # <--
            """, code: .unsatisfiable, extraFiles: ["groups.yaml": """
            groups:
              payments: [alice]
              payments-owners: [carol, dave]
              sre: [carol, dave]
            """]),
    ]

    @Test("errors name the group or clause at fault", arguments: errors)
    func reportsError(_ bad: BadPolicy) throws {
        var files = bad.extraFiles
        files[bad.file] = bad.text
        let fixture = try PolicyFixture.withGroups(files)
        defer { fixture.remove() }
        let line = try #require(fixture.markedLine(in: bad.file))

        let diagnostics = PolicyLinter.lint(fixture.url)
        let found = diagnostics.first { $0.code == bad.code && $0.file == bad.file && $0.line == line }
        #expect(found?.severity == .error, "wanted \(bad.code.rawValue) at \(bad.file):\(line), got:\n\(diagnostics.map(\.description).joined(separator: "\n"))")
        // The files themselves are well-formed: only lint refuses them.
        let loaded = try PolicyDirectory.load(fixture.url)
        #expect(PolicyLinter.lint(loaded).contains { $0.code == bad.code && $0.line == line })
    }

    @Test("an unknown group suggests the one probably meant")
    func suggestsGroup() throws {
        let fixture = try PolicyFixture.withGroups(["deploy.yaml": """
            rules:
              - name: staging
                kind: deploy
                requesters: [payments]
                approvals: [{ count: 1, group: sres }]
            """])
        defer { fixture.remove() }
        let diagnostic = try #require(PolicyLinter.lint(fixture.url).first)
        #expect(diagnostic.message.contains("did you mean 'sre'?"))
    }

    @Test("a clause that needs the requester to approve their own request is a warning")
    func warnsWhenRequesterIsNeeded() throws {
        let fixture = try PolicyFixture.withGroups(["deploy.yaml": """
            rules:
              - name: staging
                kind: deploy
                requesters: [sre]
                approvals:
                  - { count: 2, group: sre }
            """])
        defer { fixture.remove() }
        let diagnostics = PolicyLinter.lint(fixture.url)
        #expect(diagnostics.map(\.code) == [.unapprovableRequester])
        #expect(diagnostics.first?.severity == .warning)
        #expect(diagnostics.first?.line == 4)
        #expect(diagnostics.first?.message.contains("carol, dave") == true)
    }

    @Test("distinct approvers are found even when a greedy choice would block them")
    func usesMatchingNotGreedy() throws {
        // carol could take the sre seat and leave payments-owners to bob, or the reverse: any
        // requester from payments (alice, bob) still leaves two distinct approvers.
        let fixture = try PolicyFixture.withGroups(["deploy.yaml": """
            rules:
              - name: payments
                kind: deploy
                requesters: [payments]
                approvals:
                  - { count: 1, group: payments-owners }
                  - { count: 1, group: sre }
            """])
        defer { fixture.remove() }
        #expect(PolicyLinter.lint(fixture.url) == [])
    }

    static let shadowing: [(label: String, earlier: String, later: String)] = [
        ("an earlier rule without match", "", "match: { environment: staging }"),
        ("identical match maps", "match: { environment: staging, service: api }", "match: { service: api, environment: staging }"),
        ("an earlier '*' glob", "match: { environment: \"*\" }", "match: { environment: staging }"),
        ("an earlier glob covering a literal", "match: { service: \"api-*\" }", "match: { service: api-v2, environment: prod }"),
    ]

    @Test("a rule hidden by an earlier one of the same kind is a warning", arguments: shadowing)
    func warnsAboutShadowing(_ example: (label: String, earlier: String, later: String)) throws {
        let fixture = try PolicyFixture.withGroups(["deploy.yaml": """
            rules:
              - name: general
                kind: deploy
                \(example.earlier)
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
              - name: specific   # <--
                kind: deploy
                \(example.later)
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
            """])
        defer { fixture.remove() }
        let diagnostics = PolicyLinter.lint(fixture.url)
        #expect(diagnostics.map(\.code) == [.shadowedRule])
        #expect(diagnostics.first?.line == fixture.markedLine(in: "deploy.yaml"))
        #expect(diagnostics.first?.message.contains("rule general at deploy.yaml:2") == true)
    }

    static let notShadowing: [(label: String, earlier: String, later: String)] = [
        ("a narrower earlier rule", "match: { environment: staging }", ""),
        ("disjoint literals", "match: { environment: staging }", "match: { environment: production }"),
        ("an earlier glob not covering a later glob", "match: { service: \"api-*\" }", "match: { service: \"*\" }"),
    ]

    @Test("rules that can each decide something are not flagged", arguments: notShadowing)
    func doesNotFlag(_ example: (label: String, earlier: String, later: String)) throws {
        let fixture = try PolicyFixture.withGroups(["deploy.yaml": """
            rules:
              - name: first
                kind: deploy
                \(example.earlier)
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
              - name: second
                kind: deploy
                \(example.later)
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
            """])
        defer { fixture.remove() }
        #expect(PolicyLinter.lint(fixture.url) == [])
    }

    @Test("a rule of another kind is never shadowed")
    func kindsAreSeparate() throws {
        let fixture = try PolicyFixture.withGroups([
            "deploy.yaml": """
                rules:
                  - name: any-deploy
                    kind: deploy
                    requesters: [payments]
                    approvals: [{ count: 1, group: sre }]
                """,
            "ssh.yaml": """
                rules:
                  - name: any-ssh
                    kind: ssh
                    requesters: [payments]
                    approvals: [{ count: 1, group: sre }]
                """,
        ])
        defer { fixture.remove() }
        #expect(PolicyLinter.lint(fixture.url) == [])
    }

    @Test("a broken groups.yaml is reported once, not as an unknown group in every rule")
    func brokenGroupsDoNotCascade() throws {
        let fixture = try PolicyFixture([
            "groups.yaml": "groups: [sre]\n",
            "deploy.yaml": PolicyFixture.stagingRule,
        ])
        defer { fixture.remove() }
        #expect(PolicyLinter.lint(fixture.url).map(\.code) == [.badValue])
    }
}
