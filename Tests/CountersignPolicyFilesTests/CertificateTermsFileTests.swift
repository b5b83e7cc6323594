import CountersignCore
import CountersignPolicyFiles
import Foundation
import Testing

/// An SSH rule's `certificate:` block: what reaches the core, and each mistake refused at its line.
@Suite("Certificate terms in policy files")
struct CertificateTermsFileTests {
    static func sshRule(_ certificate: String, kind: String = "ssh") -> String {
        """
        rules:
          - name: bastion
            kind: \(kind)
            requesters: [payments]
            approvals: [{ count: 1, group: sre }]
        \(certificate)
        """
    }

    static let refused: [BadPolicy] = [
        BadPolicy(label: "a lifetime over a day", file: "ssh.yaml", text: sshRule("""
                certificate:
                  lifetime: 25h   # <--
            """), code: .badDuration),
        BadPolicy(label: "a lifetime under a minute", file: "ssh.yaml", text: sshRule("""
                certificate: { lifetime: 30s }   # <--
            """), code: .badDuration),
        BadPolicy(label: "an address that is not one", file: "ssh.yaml", text: sshRule("""
                certificate:
                  source_address:
                    - 10.0.0.0/8
                    - db.internal   # <--
            """), code: .badValue),
        BadPolicy(label: "a prefix longer than the family", file: "ssh.yaml", text: sshRule("""
                certificate:
                  source_address: [10.0.0.0/33]   # <--
            """), code: .badValue),
        BadPolicy(label: "host bits after the prefix", file: "ssh.yaml", text: sshRule("""
                certificate:
                  source_address: [10.20.1.5/16]   # <--
            """), code: .badValue),
        BadPolicy(label: "a forwarding that does not exist", file: "ssh.yaml", text: sshRule("""
                certificate:
                  permit: [port_forwarding, user_rc]   # <--
            """), code: .badValue),
        BadPolicy(label: "a misspelt key", file: "ssh.yaml", text: sshRule("""
                certificate:
                  force_comand: /bin/true   # <--
            """), code: .unknownKey),
        BadPolicy(label: "a forced command over two lines", file: "ssh.yaml", text: sshRule("""
                certificate:
                  force_command: "/bin/true\\n/bin/sh"   # <--
            """), code: .badValue),
        BadPolicy(label: "certificate terms on a deploy rule", file: "deploy.yaml", text: sshRule("""
                certificate: { lifetime: 10m }   # <--
            """, kind: "deploy"), code: .badValue),
        BadPolicy(label: "record that is not a boolean", file: "ssh.yaml", text: sshRule("""
                certificate:
                  record: always   # <--
            """), code: .badValue),
        BadPolicy(label: "input recorded without the output", file: "ssh.yaml", text: sshRule("""
                certificate:
                  record_input: true   # <--
            """), code: .badValue),
        BadPolicy(label: "a recorded session with another forced command", file: "ssh.yaml", text: sshRule("""
                certificate:
                  record: true   # <--
                  force_command: /bin/true
            """), code: .badValue),
    ]

    @Test("record and record_input reach the terms; without them a session is not recorded")
    func recording() throws {
        let fixture = try PolicyFixture.withGroups(["ssh.yaml": Self.sshRule("""
                certificate: { record: true }
              - name: sensitive
                kind: ssh
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
                certificate: { record: true, record_input: true }
              - name: plain
                kind: ssh
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
                certificate: { record: false }
            """)])
        defer { fixture.remove() }
        let policy = try PolicyDirectory.load(fixture.url).policy
        #expect(try #require(policy.rule(named: "bastion")).certificateTerms.recording == .output)
        #expect(try #require(policy.rule(named: "sensitive")).certificateTerms.recording == .outputAndInput)
        #expect(try #require(policy.rule(named: "plain")).certificateTerms == .standard)
    }

    @Test("each mistake is refused with its code at its line", arguments: refused)
    func refusesAtLine(_ bad: BadPolicy) throws {
        let fixture = try PolicyFixture.withGroups([bad.file: bad.text])
        defer { fixture.remove() }
        let line = try #require(fixture.markedLine(in: bad.file))
        let diagnostics = fixture.loadDiagnostics()
        let found = diagnostics.first { $0.code == bad.code && $0.file == bad.file && $0.line == line }
        #expect(found != nil, "wanted \(bad.code.rawValue) at \(bad.file):\(line), got:\n\(diagnostics.map(\.description).joined(separator: "\n"))")
    }

    @Test("the terms reach the rule in canonical form, and a rule without them has the standard ones")
    func loads() throws {
        let fixture = try PolicyFixture.withGroups(["ssh.yaml": Self.sshRule("""
                certificate:
                  lifetime: 30m
                  source_address: [10.20.0.0/16, "2001:DB8:0:0::/32", 192.0.2.7/32]
                  force_command: /usr/local/bin/countersign record
                  permit: [agent_forwarding, port_forwarding]
              - name: plain
                kind: ssh
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
            """)])
        defer { fixture.remove() }
        let policy = try PolicyDirectory.load(fixture.url).policy
        let terms = try #require(policy.rule(named: "bastion")).certificateTerms
        #expect(terms.lifetimeSeconds == 1800)
        #expect(terms.sourceAddresses.map(\.description) == ["10.20.0.0/16", "2001:db8::/32", "192.0.2.7"])
        #expect(terms.forceCommand == "/usr/local/bin/countersign record")
        #expect(terms.forwarding == [.agent, .port])
        #expect(try #require(policy.rule(named: "plain")).certificateTerms == .standard)
    }

    @Test("a deploy rule's repository links load; on an SSH rule, or unsafe, they are refused at their line")
    func repositoryLinks() throws {
        let deploy = """
            rules:
              - name: payments
                kind: deploy
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
                repository:
                  commit_url: "https://git.example.com/acme/{service}/commit/{commit}"
                  compare_url: "https://git.example.com/acme/{service}/compare/{from}...{to}"
            """
        let fixture = try PolicyFixture.withGroups(["deploy.yaml": deploy])
        defer { fixture.remove() }
        let rule = try #require(try PolicyDirectory.load(fixture.url).policy.rule(named: "payments"))
        #expect(rule.repository?.commitTemplate == "https://git.example.com/acme/{service}/commit/{commit}")

        for (file, text) in [
            ("ssh.yaml", Self.sshRule("""
                    repository: { commit_url: "https://git.example.com/{commit}" }   # <--
                """)),
            ("deploy.yaml", Self.sshRule("""
                    repository:
                      commit_url: "javascript:alert(1)//{commit}"   # <--
                """, kind: "deploy")),
            ("deploy.yaml", Self.sshRule("""
                    repository:
                      commit_url: "https://git.example.com/{commit}"
                      compare_url: "https://git.example.com/compare/{to}"   # <--
                """, kind: "deploy")),
        ] {
            let bad = try PolicyFixture.withGroups([file: text])
            defer { bad.remove() }
            let line = try #require(bad.markedLine(in: file))
            #expect(bad.loadDiagnostics().contains { $0.code == .badValue && $0.line == line }, "\(text)\n\(bad.loadDiagnostics())")
        }
    }

    @Test("single_use loads on a deploy rule; on an SSH rule, or not a boolean, it is refused at its line")
    func singleUse() throws {
        let fixture = try PolicyFixture.withGroups(["deploy.yaml": Self.sshRule("""
                single_use: true
              - name: reusable
                kind: deploy
                requesters: [payments]
                approvals: [{ count: 1, group: sre }]
            """, kind: "deploy")])
        defer { fixture.remove() }
        let policy = try PolicyDirectory.load(fixture.url).policy
        #expect(try #require(policy.rule(named: "bastion")).singleUse)
        #expect(try #require(policy.rule(named: "reusable")).singleUse == false, "reusable unless the rule says otherwise")

        for (file, text, code) in [
            ("ssh.yaml", Self.sshRule("""
                    single_use: true   # <--
                """), PolicyDiagnostic.Code.badValue),
            ("deploy.yaml", Self.sshRule("""
                    single_use: "yes"   # <--
                """, kind: "deploy"), PolicyDiagnostic.Code.badValue),
        ] {
            let bad = try PolicyFixture.withGroups([file: text])
            defer { bad.remove() }
            let line = try #require(bad.markedLine(in: file))
            #expect(bad.loadDiagnostics().contains { $0.code == code && $0.line == line }, "\(text)\n\(bad.loadDiagnostics())")
        }
    }
}
