import CountersignCore
import CountersignPolicyFiles
import Foundation
import Testing

/// A bad policy directory and the error it must produce: its code, in which file, at the line
/// marked `# <--`.
struct BadPolicy: CustomTestStringConvertible, Sendable {
    let label: String
    let file: String
    let text: String
    let code: PolicyDiagnostic.Code
    var extraFiles: [String: String] = [:]

    var testDescription: String { label }
}

@Suite("Loading refuses bad policy files, naming the code and the line")
struct LoadDiagnosticsTests {
    static let cases: [BadPolicy] = [
        BadPolicy(label: "a notify channel name with capitals", file: "ssh.yaml", text: NotifyFileTests.rule("""
                notify:
                  - Security-Slack   # <--
            """), code: .badValue),
        BadPolicy(label: "a notify channel named twice", file: "ssh.yaml", text: NotifyFileTests.rule("""
                notify:
                  - siem
                  - siem   # <--
            """), code: .badValue),
        BadPolicy(label: "a URL where a notify channel name goes", file: "ssh.yaml", text: NotifyFileTests.rule("""
                notify:
                  - https://hooks.slack.com/services/T0/B0/x   # <--
            """), code: .badValue),
        BadPolicy(label: "unknown top-level key", file: "deploy.yaml", text: """
            rules:
              - name: staging
                kind: deploy
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
            rulez: []   # <--
            """, code: .unknownKey),
        BadPolicy(label: "unknown key in a rule", file: "deploy.yaml", text: """
            rules:
              - name: staging
                kind: deploy
                requestors: [payments]   # <--
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
            """, code: .unknownKey),
        BadPolicy(label: "unknown key in an approval clause", file: "deploy.yaml", text: """
            rules:
              - name: staging
                kind: deploy
                requesters: [payments]
                approvals:
                  - { count: 1, group: sre }
                  - { count: 1, groups: payments }   # <--
            """, code: .unknownKey),
        BadPolicy(label: "match attribute of another kind", file: "ssh.yaml", text: """
            rules:
              - name: shell
                kind: ssh
                match:
                  service: api   # <--
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
            """, code: .unknownKey),
        BadPolicy(label: "unknown key in the reason rule", file: "deploy.yaml", text: """
            rules:
              - name: staging
                kind: deploy
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
                reason:
                  ticket_regex: "^CHG-[0-9]+$"   # <--
            """, code: .unknownKey),
        BadPolicy(label: "rules in groups.yaml", file: "groups.yaml", text: """
            groups:
              sre: [carol]
            rules: []   # <--
            """, code: .unknownKey, extraFiles: ["deploy.yaml": PolicyFixture.stagingRule]),
        BadPolicy(label: "bad glob", file: "deploy.yaml", text: """
            rules:
              - name: staging
                kind: deploy
                match:
                  service: "pay[ments"   # <--
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
            """, code: .badGlob),
        BadPolicy(label: "a service pattern in capitals, which no service can match", file: "deploy.yaml", text: """
            rules:
              - name: payments
                kind: deploy
                match:
                  service: "Payments-*"   # <--
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
            """, code: .unmatchablePattern),
        BadPolicy(label: "a host pattern with a trailing dot, which no canonical host has", file: "ssh.yaml", text: """
            rules:
              - name: databases
                kind: ssh
                match:
                  host: "db-*.prod.internal."   # <--
                requesters: [sre]
                approvals: [{ count: 1, group: sre }]
            """, code: .unmatchablePattern),
        BadPolicy(label: "a login pattern with a character no login has", file: "ssh.yaml", text: """
            rules:
              - name: databases
                kind: ssh
                match:
                  login: "Postgres"   # <--
                requesters: [sre]
                approvals: [{ count: 1, group: sre }]
            """, code: .unmatchablePattern),
        BadPolicy(label: "duration without a unit", file: "deploy.yaml", text: """
            rules:
              - name: staging
                kind: deploy
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
                pending_ttl: 4   # <--
            """, code: .badDuration),
        BadPolicy(label: "duration in words", file: "deploy.yaml", text: """
            rules:
              - name: staging
                kind: deploy
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
                max_duration: 4 hours   # <--
            """, code: .badDuration),
        BadPolicy(label: "duration beyond the core's bound", file: "deploy.yaml", text: """
            rules:
              - name: staging
                kind: deploy
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
                max_duration: 8d   # <--
            """, code: .badDuration),
        BadPolicy(label: "bad ticket regex", file: "deploy.yaml", text: """
            rules:
              - name: staging
                kind: deploy
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
                reason:
                  ticket_pattern: "^(CHG"   # <--
            """, code: .badTicketPattern),
        BadPolicy(label: "duplicate rule name in one file", file: "deploy.yaml", text: """
            rules:
              - name: staging
                kind: deploy
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
              - name: staging   # <--
                kind: deploy
                requesters: [payments]
                approvals: [{ count: 2, group: sre }]
            """, code: .duplicateRule),
        BadPolicy(label: "duplicate rule name across files", file: "ssh.yaml", text: """
            rules:
              - name: staging   # <--
                kind: ssh
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
            """, code: .duplicateRule, extraFiles: ["deploy.yaml": PolicyFixture.stagingRule]),
        BadPolicy(label: "YAML syntax error", file: "deploy.yaml", text: """
            rules:
              - name: staging
                kind: deploy: ssh   # <--
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
            """, code: .yamlSyntax),
        BadPolicy(label: "tab indentation", file: "deploy.yaml", text: """
            rules:
              - name: staging
            \tkind: deploy   # <--
            """, code: .yamlSyntax),
        BadPolicy(label: "the same key twice", file: "deploy.yaml", text: """
            rules:
              - name: staging
                kind: deploy   # <--
                kind: ssh
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
            """, code: .duplicateKey),
        BadPolicy(label: "anchors and aliases", file: "deploy.yaml", text: """
            rules:
              - name: staging
                kind: deploy
                requesters: &who [payments]   # <--
                approvals: [{ count: 1, group: sre }]
              - name: qa
                kind: deploy
                requesters: *who
                approvals: [{ count: 1, group: sre }]
            """, code: .unsupportedYAML),
        BadPolicy(label: "explicit tag", file: "deploy.yaml", text: """
            rules:
              - name: staging
                kind: deploy
                requesters: [payments]
                approvals: [{ count: !!int 1, group: sre }]   # <--
            """, code: .unsupportedYAML),
        BadPolicy(label: "a text where a list belongs", file: "deploy.yaml", text: """
            rules:
              - name: staging
                kind: deploy
                requesters: payments   # <--
                approvals: [{ count: 1, group: sre }]
            """, code: .badValue),
        BadPolicy(label: "a mapping where the rule list belongs", file: "deploy.yaml", text: """
            rules:
              name: staging   # <--
            """, code: .badValue),
        BadPolicy(label: "a quoted count", file: "deploy.yaml", text: """
            rules:
              - name: staging
                kind: deploy
                requesters: [payments]
                approvals: [{ count: "1", group: sre }]   # <--
            """, code: .badValue),
        BadPolicy(label: "a count above the core's maximum", file: "deploy.yaml", text: """
            rules:
              - name: staging
                kind: deploy
                requesters: [payments]
                approvals:
                  - { count: 17, group: sre }   # <--
            """, code: .badValue),
        BadPolicy(label: "yes for a boolean", file: "deploy.yaml", text: """
            rules:
              - name: staging
                kind: deploy
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
                hardware_key: no   # <--
            """, code: .badValue),
        BadPolicy(label: "unknown kind", file: "deploy.yaml", text: """
            rules:
              - name: staging
                kind: rdp   # <--
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
            """, code: .badValue),
        BadPolicy(label: "rule name with capitals", file: "deploy.yaml", text: """
            rules:
              - name: Staging   # <--
                kind: deploy
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
            """, code: .badValue),
        BadPolicy(label: "'*' as an approval group", file: "deploy.yaml", text: """
            rules:
              - name: staging
                kind: deploy
                requesters: ["*"]
                approvals: [{ count: 1, group: "*" }]   # <--
            """, code: .badValue),
        BadPolicy(label: "no approvals at all", file: "deploy.yaml", text: """
            rules:
              - name: staging
                kind: deploy
                requesters: [payments]
                approvals: []   # <--
            """, code: .badValue),
        BadPolicy(label: "an invalid username in groups.yaml", file: "groups.yaml", text: """
            groups:
              sre: [carol, "dave smith"]   # <--
            """, code: .badValue, extraFiles: ["deploy.yaml": PolicyFixture.stagingRule]),
        BadPolicy(label: "a rule without approvals", file: "deploy.yaml", text: """
            rules:
              - name: staging   # <--
                kind: deploy
                requesters: [payments]
            """, code: .missingKey),
        BadPolicy(label: "a clause without a count", file: "deploy.yaml", text: """
            rules:
              - name: staging
                kind: deploy
                requesters: [payments]
                approvals:
                  - { group: sre }   # <--
            """, code: .missingKey),
        BadPolicy(label: "a key with no value", file: "deploy.yaml", text: """
            rules:
              - name: staging
                kind:   # <--
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
            """, code: .missingKey),
        BadPolicy(label: "a rules file without rules", file: "deploy.yaml", text: """
            # deploy rules
            description: deploy rules   # <--
            """, code: .missingKey),
    ]

    @Test("each bad input gives its code at its line", arguments: cases)
    func reportsCodeAndLine(_ bad: BadPolicy) throws {
        var files = bad.extraFiles
        files[bad.file] = bad.text
        let fixture = try PolicyFixture.withGroups(files)
        defer { fixture.remove() }
        let line = try #require(fixture.markedLine(in: bad.file))

        let diagnostics = fixture.loadDiagnostics()
        #expect(diagnostics.contains { $0.isError }, "load accepted it")
        let found = diagnostics.first { $0.code == bad.code && $0.file == bad.file && $0.line == line }
        #expect(found != nil, "wanted \(bad.code.rawValue) at \(bad.file):\(line), got:\n\(diagnostics.map(\.description).joined(separator: "\n"))")
        // Lint reports everything load does.
        #expect(PolicyLinter.lint(fixture.url).contains { $0.code == bad.code && $0.file == bad.file && $0.line == line })
    }

    @Test("every problem is reported, not just the first")
    func reportsAll() throws {
        let fixture = try PolicyFixture.withGroups([
            "deploy.yaml": """
                rules:
                  - name: one
                    kind: deploy
                    requestors: [payments]
                    approvals: [{ count: 1, group: sre }]
                  - name: two
                    kind: deploy
                    match: { service: "[" }
                    requesters: [payments]
                    approvals: [{ count: 1, group: sre }]
                """,
            "ssh.yaml": """
                rules:
                  - name: three
                    kind: ssh
                    requesters: [payments]
                    approvals: [{ count: 1, group: sre }]
                    pending_ttl: soon
                """,
        ])
        defer { fixture.remove() }
        let diagnostics = fixture.loadDiagnostics()
        #expect(diagnostics.map(\.code) == [.missingKey, .unknownKey, .badGlob, .badDuration])
        #expect(diagnostics.map(\.file) == ["deploy.yaml", "deploy.yaml", "deploy.yaml", "ssh.yaml"])
        #expect(diagnostics.map(\.line) == [2, 4, 8, 6])
    }

    @Test("an unknown key suggests the key that was probably meant")
    func suggestsKey() throws {
        let fixture = try PolicyFixture.withGroups(["deploy.yaml": """
            rules:
              - name: staging
                kind: deploy
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
                hardware_kye: false
            """])
        defer { fixture.remove() }
        let diagnostic = try #require(fixture.loadDiagnostics().first)
        #expect(diagnostic.code == .unknownKey)
        #expect(diagnostic.message.contains("did you mean 'hardware_key'?"))
        #expect(diagnostic.column == 5)
    }

    @Test("a rule's defaults: hardware key, a day to approve, an hour of access, any reason")
    func defaults() throws {
        let fixture = try PolicyFixture.withGroups(["deploy.yaml": """
            rules:
              - name: minimal
                kind: deploy
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
            """])
        defer { fixture.remove() }
        let rule = try #require(try PolicyDirectory.load(fixture.url).policy.rule(named: "minimal"))
        #expect(rule.requirement.hardwareKeyRequired)
        #expect(rule.pendingLifetimeSeconds == 86_400)
        #expect(rule.maximumAccessSeconds == 3_600)
        #expect(rule.reasonRule.minimumLength == 1)
        #expect(rule.reasonRule.ticketPattern == nil)
        #expect(rule.match.isEmpty)
        #expect(rule.source?.description == "deploy.yaml:2")
    }

    @Test("a refusal names the rule's file and line")
    func refusalNamesLocation() throws {
        let fixture = try PolicyFixture.withGroups(["deploy.yaml": PolicyFixture.stagingRule])
        defer { fixture.remove() }
        let policy = try PolicyDirectory.load(fixture.url).policy
        let target = RequestTarget.deploy(try DeployTarget(
            service: "api", environment: "staging", commit: try ArtifactReference(String(repeating: "a", count: 40))
        ))
        let draft = try RequestDraft(target: target, reason: "try it", ticket: "")
        let erin = Actor(name: try Username("erin"), groups: policy.groups.groups(of: try Username("erin")))
        #expect {
            try policy.admit(draft, from: erin)
        } throws: { error in
            (error as? DomainError)?.message.contains("(deploy.yaml:2)") == true
        }
    }

    @Test("values that YAML would guess at stay text: login no, environment 2024")
    func scalarsStayText() throws {
        let fixture = try PolicyFixture.withGroups(["ssh.yaml": """
            rules:
              - name: norway
                kind: ssh
                match: { host: "*.internal", login: no }
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
            """])
        defer { fixture.remove() }
        let rule = try #require(try PolicyDirectory.load(fixture.url).policy.rule(named: "norway"))
        #expect(rule.match["login"]?.pattern == "no")
    }

    @Test("the fingerprint changes with any byte of any file")
    func fingerprintTracksBytes() throws {
        let first = try PolicyFixture.withGroups(["deploy.yaml": PolicyFixture.stagingRule])
        let second = try PolicyFixture.withGroups(["deploy.yaml": PolicyFixture.stagingRule + "\n# a comment"])
        defer { first.remove(); second.remove() }
        #expect(try PolicyDirectory.load(first.url).fingerprint != PolicyDirectory.load(second.url).fingerprint)
    }
}
