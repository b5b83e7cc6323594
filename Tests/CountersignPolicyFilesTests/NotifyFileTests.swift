import CountersignCore
import CountersignPolicyFiles
import Foundation
import Testing

/// A rule's `notify:` list: the channel names reach the rule in order (a bad or repeated name is
/// refused at its line: `LoadDiagnosticsTests`).
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
}
