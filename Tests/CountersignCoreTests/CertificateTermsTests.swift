import Testing
@testable import CountersignCore

@Suite("Certificate terms and address blocks")
struct CertificateTermsTests {
    @Test("an address block is kept in the one spelling sshd and reviewers read", arguments: [
        ("10.20.0.0/16", "10.20.0.0/16"),
        ("192.0.2.7", "192.0.2.7"),
        ("192.0.2.7/32", "192.0.2.7"),
        ("0.0.0.0/0", "0.0.0.0/0"),
        ("2001:DB8:0:0:0:0:0:0/32", "2001:db8::/32"),
        ("::1", "::1"),
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
    ])
    func canonical(_ written: String, _ canonical: String) throws {
        #expect(try AddressBlock(written).description == canonical)
    }

    @Test("anything else is refused", arguments: [
        "", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/08a", "10.0.0.0/0008", "10.0.0.1/8",
        "2001:db8::1/32", "::/129", "host.example", "10.0.0", "010.0.0.1", "10.0.0.0/8,10.1.0.0/16", "10.0.0.0 /8",
        String(repeating: "1", count: 5000),
    ])
    func refused(_ written: String) {
        #expect(throws: DomainError.self) { try AddressBlock(written) }
    }

    @Test("terms hold a bounded lifetime, distinct addresses and a one-line command")
    func bounds() throws {
        let block = try AddressBlock("10.0.0.0/8")
        #expect(throws: DomainError.self) { try CertificateTerms(lifetimeSeconds: 59) }
        #expect(throws: DomainError.self) { try CertificateTerms(lifetimeSeconds: 24 * 3600 + 1) }
        #expect(throws: DomainError.self) { try CertificateTerms(sourceAddresses: [block, block]) }
        #expect(throws: DomainError.self) { try CertificateTerms(forceCommand: "") }
        #expect(throws: DomainError.self) { try CertificateTerms(forceCommand: "true\nrm -rf /") }
        #expect(throws: DomainError.self) { try CertificateTerms(forceCommand: "true\u{202E}") }
        #expect(throws: DomainError.self) { try CertificateTerms(forceCommand: String(repeating: "x", count: 1025)) }
        let many = try (0..<33).map { try AddressBlock("10.0.\($0).0/24") }
        #expect(throws: DomainError.self) { try CertificateTerms(sourceAddresses: many) }
        #expect(try CertificateTerms(lifetimeSeconds: 24 * 3600, sourceAddresses: Array(many.prefix(32))).sourceAddresses.count == 32)
    }

    @Test("only SSH rules have terms other than the standard")
    func onlySSHRules() throws {
        let requirement = try ApprovalRequirement(clauses: [try ApprovalClause(count: 1, group: "sre")], hardwareKeyRequired: false)
        let terms = try CertificateTerms(lifetimeSeconds: 600)
        #expect(throws: DomainError.self) {
            try PolicyRule(name: "deploys", kind: .deploy, match: [:], requesters: ["*"], requirement: requirement,
                           pendingLifetimeSeconds: 3600, maximumAccessSeconds: 3600, reasonRule: ReasonRule(), certificateTerms: terms)
        }
        let rule = try PolicyRule(name: "bastion", kind: .ssh, match: [:], requesters: ["*"], requirement: requirement,
                                  pendingLifetimeSeconds: 3600, maximumAccessSeconds: 3600, reasonRule: ReasonRule(), certificateTerms: terms)
        #expect(rule.certificateTerms.lifetimeSeconds == 600)
    }
}
