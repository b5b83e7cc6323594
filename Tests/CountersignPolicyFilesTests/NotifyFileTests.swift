import CountersignCore
import CountersignPolicyFiles
import Foundation
import Testing

/// A rule's `notify:` list: the channel names reach the rule in order; a bad or repeated name is
/// refused at its line.
@Suite("Rule notices in policy files")
struct NotifyFileTests {
    static func rule(_ notify: String) -> String {
        """
        rules:
          - name: bastion
            kind: ssh
            requesters: [payments]
            approvals: [{ count: 1, group: sre }]
        \(notify)
        """
    }

    @Test("the channels reach the rule as written; a rule without notify names none")
    func loads() throws {
        let fixture = try PolicyFixture.withGroups(["ssh.yaml": Self.rule("""
                notify: [security-slack, siem]
              - name: quiet
                kind: ssh
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
            """)])
        defer { fixture.remove() }
        let policy = try PolicyDirectory.load(fixture.url).policy
        #expect(try #require(policy.rule(named: "bastion")).notify.map(\.rawValue) == ["security-slack", "siem"])
        #expect(try #require(policy.rule(named: "quiet")).notify.isEmpty)
    }

    static let refused: [BadPolicy] = [
        BadPolicy(label: "a channel name with capitals", file: "ssh.yaml", text: rule("""
                notify:
                  - Security-Slack   # <--
            """), code: .badValue),
        BadPolicy(label: "a channel named twice", file: "ssh.yaml", text: rule("""
                notify:
                  - siem
                  - siem   # <--
            """), code: .badValue),
        BadPolicy(label: "a URL where a channel name goes", file: "ssh.yaml", text: rule("""
                notify:
                  - https://hooks.slack.com/services/T0/B0/x   # <--
            """), code: .badValue),
    ]

    @Test("each mistake is refused with its code at its line", arguments: refused)
    func refusesAtLine(_ bad: BadPolicy) throws {
        let fixture = try PolicyFixture.withGroups([bad.file: bad.text])
        defer { fixture.remove() }
        let line = try #require(fixture.markedLine(in: bad.file))
        let diagnostics = fixture.loadDiagnostics()
        let found = diagnostics.first { $0.code == bad.code && $0.file == bad.file && $0.line == line }
        #expect(found != nil, "wanted \(bad.code.rawValue) at \(bad.file):\(line), got:\n\(diagnostics.map(\.description).joined(separator: "\n"))")
    }
}
