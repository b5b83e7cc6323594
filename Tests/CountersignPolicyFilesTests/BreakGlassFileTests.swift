import CountersignCore
import CountersignPolicyFiles
import Foundation
import Testing

@Suite("Break-glass rules in policy files: read as written, refused with the code and the line")
struct BreakGlassFileTests {
    static let requestRules = PolicyFixture.stagingRule

    /// A break-glass rule with every key written, the line of key `marked` (if given) marked.
    static func rule(_ overrides: [String: String] = [:], marking marked: String? = nil, name: String = "db") -> String {
        let defaults: [(String, String)] = [
            ("match", "{ host: \"db-*.prod.internal\", login: postgres }"), ("on_call", "[sre]"), ("max_duration", "15m"),
            ("incident_pattern", "\"^INC-[0-9]+$\""), ("agreement", "{ count: 1, group: sre }"), ("key_touch", "always"),
            ("page", "[oncall-pagerduty, security-slack]"), ("review_within", "12h"), ("reviewers", "[solo]"),
        ]
        var lines = ["  - name: \(name)"]
        var written = Set<String>()
        for (key, value) in defaults {
            written.insert(key)
            let value = overrides[key] ?? value
            guard !value.isEmpty else { continue }
            lines.append("    \(key): \(value)\(key == marked ? "   \(PolicyFixture.marker)" : "")")
        }
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) where !written.contains(key) {
            lines.append("    \(key): \(value)\(key == marked ? "   \(PolicyFixture.marker)" : "")")
        }
        return lines.joined(separator: "\n")
    }

    static func file(_ rules: String...) -> String {
        "break_glass:\n" + rules.joined(separator: "\n")
    }

    func load(_ text: String, file: String = "break-glass.yaml") throws -> (PolicyFixture, LoadedPolicy) {
        let fixture = try PolicyFixture.withGroups(["deploy.yaml": Self.requestRules, file: text])
        return (fixture, try PolicyDirectory.load(fixture.url))
    }

    @Test("a break-glass rule reads as written, with where it was written")
    func readsAsWritten() throws {
        let (fixture, loaded) = try load(Self.file(Self.rule()))
        defer { fixture.remove() }
        let rule = try #require(loaded.policy.breakGlass.first)
        #expect(loaded.policy.breakGlass.count == 1 && loaded.policy.rules.map(\.name) == ["staging"])
        #expect(rule.name == "db" && rule.host.pattern == "db-*.prod.internal" && rule.login.pattern == "postgres")
        #expect(rule.onCall == ["sre"] && rule.maximumDurationSeconds == 900 && rule.incidentPattern.pattern == "^INC-[0-9]+$")
        #expect(rule.agreement == (try ApprovalClause(count: 1, group: "sre")) && rule.keyTouch == .always)
        #expect(rule.channels.map(\.rawValue) == ["oncall-pagerduty", "security-slack"])
        #expect(rule.reviewWindowSeconds == 12 * 3600 && rule.reviewers == ["solo"])
        #expect(rule.source?.description == "break-glass.yaml:2")
        #expect(PolicyLinter.lint(fixture.url) == [])
    }

    @Test("the defaults: 30 minutes, a key touch when the user has a key, no agreement, auditors review within a day")
    func defaults() throws {
        let (fixture, loaded) = try load(Self.file(Self.rule(["max_duration": "", "agreement": "", "key_touch": "", "review_within": "", "reviewers": ""])))
        defer { fixture.remove() }
        let rule = try #require(loaded.policy.breakGlass.first)
        #expect(rule.maximumDurationSeconds == 30 * 60 && rule.keyTouch == .whenEnrolled && rule.agreement == nil)
        #expect(rule.reviewWindowSeconds == 24 * 3600 && rule.reviewers == ["auditors"])
    }

    @Test("request rules and break-glass rules may share a file, and each file is read in the order written")
    func sharesAFile() throws {
        let text = Self.requestRules + "\n" + Self.file(Self.rule(name: "second"), Self.rule(["match": "{ host: \"*\", login: \"*\" }"], name: "third"))
        let fixture = try PolicyFixture.withGroups(["deploy.yaml": text])
        defer { fixture.remove() }
        let loaded = try PolicyDirectory.load(fixture.url)
        #expect(loaded.policy.rules.map(\.name) == ["staging"])
        #expect(loaded.policy.breakGlass.map(\.name) == ["second", "third"])
        #expect(loaded.policy.breakGlass.map { $0.source?.line } == [10, 20])
    }

    @Test("a directory whose only rules are break-glass still has no rule for requests")
    func breakGlassAloneIsNoPolicy() throws {
        let fixture = try PolicyFixture.withGroups(["break-glass.yaml": Self.file(Self.rule())])
        defer { fixture.remove() }
        #expect(fixture.loadDiagnostics().map(\.code) == [.noRules])
    }

    static let cases: [BadPolicy] = [
        BadPolicy(label: "an unknown key in a break-glass rule", file: "break-glass.yaml", text: file(rule(["incident": "\"^INC-\""], marking: "incident")), code: .unknownKey),
        BadPolicy(label: "a request rule's key in a break-glass rule", file: "break-glass.yaml", text: file(rule(["requesters": "[sre]"], marking: "requesters")), code: .unknownKey),
        BadPolicy(label: "an unknown key in the match", file: "break-glass.yaml", text: file(rule(["match": "{ host: \"db-*\", login: postgres, service: api }"], marking: "match")), code: .unknownKey),
        BadPolicy(label: "a match without a login", file: "break-glass.yaml", text: file(rule(["match": "{ host: \"db-*\" }"], marking: "match")), code: .missingKey),
        BadPolicy(label: "a rule without on_call", file: "break-glass.yaml", text: """
            break_glass:
              - name: db   # <--
                match: { host: "db-*", login: postgres }
                incident_pattern: "^INC-[0-9]+$"
                page: [oncall-pagerduty]
            """, code: .missingKey),
        BadPolicy(label: "a rule without page", file: "break-glass.yaml", text: file(rule(["page": ""])).replacingOccurrences(of: "  - name: db", with: "  - name: db   # <--"), code: .missingKey),
        BadPolicy(label: "break_glass with nothing after it", file: "break-glass.yaml", text: "break_glass:   # <--\n", code: .missingKey),
        BadPolicy(label: "break_glass that is not a list", file: "break-glass.yaml", text: "break_glass: { name: db }   # <--\n", code: .badValue),
        BadPolicy(label: "a bad host glob", file: "break-glass.yaml", text: file(rule(["match": "{ host: \"db-[\", login: postgres }"], marking: "match")), code: .badGlob),
        BadPolicy(label: "a host pattern no host can match", file: "break-glass.yaml", text: file(rule(["match": "{ host: \"db-*.prod.internal.\", login: postgres }"], marking: "match")), code: .unmatchablePattern),
        BadPolicy(label: "longer than break-glass may last", file: "break-glass.yaml", text: file(rule(["max_duration": "5h"], marking: "max_duration")), code: .badDuration),
        BadPolicy(label: "a duration without a unit", file: "break-glass.yaml", text: file(rule(["max_duration": "15"], marking: "max_duration")), code: .badDuration),
        BadPolicy(label: "a review window shorter than an hour", file: "break-glass.yaml", text: file(rule(["review_within": "30m"], marking: "review_within")), code: .badDuration),
        BadPolicy(label: "an incident pattern that is no regular expression", file: "break-glass.yaml", text: file(rule(["incident_pattern": "\"^INC-[0-9+$\""], marking: "incident_pattern")), code: .badTicketPattern),
        BadPolicy(label: "a key touch that does not exist", file: "break-glass.yaml", text: file(rule(["key_touch": "sometimes"], marking: "key_touch")), code: .badValue),
        BadPolicy(label: "no channel to page", file: "break-glass.yaml", text: file(rule(["page": "[]"], marking: "page")), code: .badValue),
        BadPolicy(label: "a channel name in capitals", file: "break-glass.yaml", text: file(rule(["page": "[Oncall]"], marking: "page")), code: .badValue),
        BadPolicy(label: "a channel paged twice", file: "break-glass.yaml", text: file(rule(["page": "[oncall-pagerduty, oncall-pagerduty]"], marking: "page")), code: .badValue),
        BadPolicy(label: "anyone on call", file: "break-glass.yaml", text: file(rule(["on_call": "[\"*\"]"], marking: "on_call")), code: .badValue),
        BadPolicy(label: "no on-call group", file: "break-glass.yaml", text: file(rule(["on_call": "[]"], marking: "on_call")), code: .badValue),
        BadPolicy(label: "anyone as reviewer", file: "break-glass.yaml", text: file(rule(["reviewers": "[\"*\"]"], marking: "reviewers")), code: .badValue),
        BadPolicy(label: "an agreement from anyone", file: "break-glass.yaml", text: file(rule(["agreement": "{ count: 1, group: \"*\" }"], marking: "agreement")), code: .badValue),
        BadPolicy(label: "an agreement of nobody", file: "break-glass.yaml", text: file(rule(["agreement": "{ count: 0, group: sre }"], marking: "agreement")), code: .badValue),
        BadPolicy(label: "an agreement as a list", file: "break-glass.yaml", text: file(rule(["agreement": "[{ count: 1, group: sre }]"], marking: "agreement")), code: .badValue),
        BadPolicy(label: "an unknown key in the agreement", file: "break-glass.yaml", text: file(rule(["agreement": "{ count: 1, groups: sre }"], marking: "agreement")), code: .unknownKey),
        // Read after deploy.yaml, whose request rule keeps the name.
        BadPolicy(label: "a break-glass rule named as a request rule", file: "z-break-glass.yaml",
                  text: file(rule(name: "staging")).replacingOccurrences(of: "  - name: staging", with: "  - name: staging   # <--"), code: .duplicateRule),
        BadPolicy(label: "two break-glass rules of one name", file: "break-glass.yaml",
                  text: file(rule(), rule().replacingOccurrences(of: "  - name: db", with: "  - name: db   # <--")), code: .duplicateRule),
    ]

    @Test("each bad input gives its code at its line", arguments: cases)
    func reportsCodeAndLine(_ bad: BadPolicy) throws {
        let fixture = try PolicyFixture.withGroups(["deploy.yaml": Self.requestRules, bad.file: bad.text])
        defer { fixture.remove() }
        let line = try #require(fixture.markedLine(in: bad.file))
        let diagnostics = fixture.loadDiagnostics()
        let found = diagnostics.first { $0.code == bad.code && $0.file == bad.file && $0.line == line }
        #expect(found?.isError == true, "wanted \(bad.code.rawValue) at \(bad.file):\(line), got:\n\(diagnostics.map(\.description).joined(separator: "\n"))")
        #expect(PolicyLinter.lint(fixture.url).contains { $0.code == bad.code && $0.file == bad.file && $0.line == line })
    }

    @Test("a request rule's key in a break-glass rule says what to write instead")
    func hintsAtTheBreakGlassKey() throws {
        let fixture = try PolicyFixture.withGroups(["deploy.yaml": Self.requestRules, "break-glass.yaml": Self.file(Self.rule(["approvals": "[{ count: 1, group: sre }]"]))])
        defer { fixture.remove() }
        let diagnostic = try #require(fixture.loadDiagnostics().first)
        #expect(diagnostic.code == .unknownKey)
        #expect(diagnostic.message.contains("'agreement: { count: 1, group: … }'"))
        #expect(diagnostic.description.hasPrefix("break-glass.yaml:12:5: error: unknown key 'approvals' in a break-glass rule"))
    }

    @Test("every problem of a break-glass rule is reported at once")
    func reportsAll() throws {
        let text = Self.file(Self.rule(["max_duration": "5h", "key_touch": "yes", "page": "[Slack]", "on_call": "[\"*\"]"]))
        let fixture = try PolicyFixture.withGroups(["deploy.yaml": Self.requestRules, "break-glass.yaml": text])
        defer { fixture.remove() }
        let diagnostics = fixture.loadDiagnostics()
        #expect(diagnostics.map(\.code) == [.badValue, .badDuration, .badValue, .badValue])
        #expect(diagnostics.map(\.line) == [4, 5, 8, 9])
    }
}
