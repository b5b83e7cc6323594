import Foundation
import Testing
@testable import CountersignCore

/// A small policy in the shape the YAML files produce. The order matters: the first matching
/// rule decides, so the payments rule must come before the general production rule.
enum SamplePolicy {
    static func rule(
        _ name: String, _ kind: RequestKind, match: [String: String], requesters: Set<String>,
        requirement: ApprovalRequirement, maximumAccessSeconds: Int, minimumReason: Int = 1,
        ticketPattern: String? = nil, source: CountersignCore.SourceLocation? = nil
    ) -> PolicyRule {
        try! PolicyRule(
            name: name, kind: kind, match: match.mapValues { try! Glob($0) }, requesters: requesters,
            requirement: requirement, pendingLifetimeSeconds: 3600, maximumAccessSeconds: maximumAccessSeconds,
            reasonRule: ReasonRule(minimumLength: minimumReason, ticketPattern: ticketPattern.map { try! TicketPattern($0) }),
            source: source
        )
    }

    static let rules: [PolicyRule] = [
        rule(
            "prod-deploy-payments", .deploy, match: ["service": "payments-*", "environment": "production"],
            requesters: ["engineers"], requirement: requirement([clause(1, "sre"), clause(1, "payments")]),
            maximumAccessSeconds: 1800, minimumReason: 20, ticketPattern: "(INC|CHG)-[0-9]+",
            source: CountersignCore.SourceLocation(file: "policies/deploy.yaml", line: 12)
        ),
        rule(
            "prod-deploy", .deploy, match: ["environment": "production"],
            requesters: ["engineers"], requirement: requirement([clause(1, "sre")]),
            maximumAccessSeconds: 3600, minimumReason: 10,
            source: CountersignCore.SourceLocation(file: "policies/deploy.yaml", line: 30)
        ),
        rule(
            "staging-deploy", .deploy, match: ["environment": "staging*"],
            requesters: ["*"], requirement: requirement([clause(1, "engineers")]),
            maximumAccessSeconds: 7200, minimumReason: 15
        ),
        rule(
            "db-ssh", .ssh, match: ["host": "db-*.prod.example.com", "login": "postgres"],
            requesters: ["dba", "sre"], requirement: requirement([clause(2, "sre")]),
            maximumAccessSeconds: 3600, source: CountersignCore.SourceLocation(file: "policies/ssh.yaml", line: 4)
        ),
        rule(
            "prod-ssh", .ssh, match: ["host": "*.prod.example.com"],
            requesters: ["sre"], requirement: requirement([clause(1, "sre")]), maximumAccessSeconds: 1800
        ),
    ]

    static let policy = try! Policy(rules: rules, groups: GroupDirectory())

    static func deploy(_ service: String, _ environment: String) -> RequestTarget {
        .deploy(try! DeployTarget(service: service, environment: environment, commit: Fixture.commit))
    }

    static func ssh(_ host: String, _ login: String, _ seconds: Int = 600) -> RequestTarget {
        .ssh(try! SSHTarget(host: host, login: login, durationSeconds: seconds))
    }
}

struct MatchCase: Sendable, CustomTestStringConvertible {
    let target: RequestTarget
    let rule: String?

    var testDescription: String { "\(target.kind) \(Policy.describe(target)) → \(rule ?? "no rule")" }
}

/// A draft filed by someone in `groups`, and what the policy answers.
struct AdmissionCase: Sendable, CustomTestStringConvertible {
    enum Outcome: Sendable {
        case admitted(rule: String, accessSeconds: Int)
        case refused(DomainError.Code, mentioning: [String])
    }

    let name: String
    let target: RequestTarget
    let groups: Set<String>
    let reason: String
    let ticket: String
    let outcome: Outcome

    init(
        _ name: String, _ target: RequestTarget, groups: Set<String>, reason: String = "Roll out the double-charge fix",
        ticket: String = "INC-4711", _ outcome: Outcome
    ) {
        self.name = name
        self.target = target
        self.groups = groups
        self.reason = reason
        self.ticket = ticket
        self.outcome = outcome
    }

    var testDescription: String { name }
}

@Suite("Policy matching and admission")
struct PolicyAdmissionTests {
    static let matchTable: [MatchCase] = [
        MatchCase(target: SamplePolicy.deploy("payments-api", "production"), rule: "prod-deploy-payments"),
        MatchCase(target: SamplePolicy.deploy("payments-ledger", "production"), rule: "prod-deploy-payments"),
        MatchCase(target: SamplePolicy.deploy("billing", "production"), rule: "prod-deploy"),
        MatchCase(target: SamplePolicy.deploy("payments-api", "staging-eu"), rule: "staging-deploy"),
        MatchCase(target: SamplePolicy.deploy("payments-api", "dev"), rule: nil),
        MatchCase(target: SamplePolicy.deploy("payments-api", "production-eu"), rule: nil),
        MatchCase(target: SamplePolicy.ssh("db-1.prod.example.com", "postgres"), rule: "db-ssh"),
        MatchCase(target: SamplePolicy.ssh("db-1.prod.example.com", "root"), rule: "prod-ssh"),
        MatchCase(target: SamplePolicy.ssh("web.prod.example.com", "deploy"), rule: "prod-ssh"),
        MatchCase(target: SamplePolicy.ssh("web.staging.example.com", "deploy"), rule: nil),
        MatchCase(target: SamplePolicy.ssh("production", "postgres"), rule: nil),
        // Hosts are compared as ssh and DNS compare them: a spelling cannot reach a weaker rule.
        MatchCase(target: SamplePolicy.ssh("Db-1.prod.example.com", "postgres"), rule: "db-ssh"),
        MatchCase(target: SamplePolicy.ssh("DB-1.PROD.EXAMPLE.COM", "postgres"), rule: "db-ssh"),
        MatchCase(target: SamplePolicy.ssh("db-1.prod.example.com.", "postgres"), rule: "db-ssh"),
    ]

    @Test("the first rule whose kind and globs match decides", arguments: matchTable)
    func firstMatchWins(_ row: MatchCase) {
        #expect(SamplePolicy.policy.matchingRule(for: row.target)?.name == row.rule)
    }

    @Test("reordering rules changes which one decides")
    func orderMatters() throws {
        let reversed = try Policy(rules: SamplePolicy.rules.reversed(), groups: GroupDirectory())
        #expect(reversed.matchingRule(for: SamplePolicy.deploy("payments-api", "production"))?.name == "prod-deploy")
        #expect(reversed.matchingRule(for: SamplePolicy.ssh("db-1.prod.example.com", "postgres"))?.name == "prod-ssh")
    }

    @Test("an empty policy denies everything")
    func emptyPolicy() throws {
        let policy = try Policy(rules: [], groups: GroupDirectory())
        let error = refusal { () throws(DomainError) in try policy.admit(Fixture.deployDraft, from: Cast.alice) }
        #expect(error?.code == .noMatchingRule)
    }

    static let admissionTable: [AdmissionCase] = [
        AdmissionCase(
            "a request no rule matches is denied by default", SamplePolicy.deploy("payments-api", "dev"), groups: ["engineers"],
            .refused(.noMatchingRule, mentioning: ["denied by default", "environment=dev, service=payments-api"])
        ),
        AdmissionCase(
            "an ssh request no rule matches is denied by default", SamplePolicy.ssh("web.staging.example.com", "root"),
            groups: ["sre"], .refused(.noMatchingRule, mentioning: ["ssh request", "host=web.staging.example.com, login=root"])
        ),
        AdmissionCase(
            "a deploy within the rule is admitted for the rule's maximum access", SamplePolicy.deploy("payments-api", "production"),
            groups: ["engineers"], .admitted(rule: "prod-deploy-payments", accessSeconds: 1800)
        ),
        AdmissionCase(
            "a requester outside the rule's requester groups is refused, naming the rule and its file:line",
            SamplePolicy.deploy("payments-api", "production"), groups: ["sre", "payments"],
            .refused(.policyRefused, mentioning: ["rule prod-deploy-payments (policies/deploy.yaml:12)", "engineers"])
        ),
        AdmissionCase(
            "a requester in no group is refused", SamplePolicy.deploy("billing", "production"), groups: [],
            .refused(.policyRefused, mentioning: ["rule prod-deploy (policies/deploy.yaml:30)"])
        ),
        AdmissionCase(
            "'*' as requesters admits someone in no group", SamplePolicy.deploy("billing", "staging"), groups: [],
            reason: "Try the new ledger", .admitted(rule: "staging-deploy", accessSeconds: 7200)
        ),
        AdmissionCase(
            "a reason shorter than the rule's minimum is refused", SamplePolicy.deploy("payments-api", "production"),
            groups: ["engineers"], reason: String(repeating: "r", count: 19),
            .refused(.policyRefused, mentioning: ["rule prod-deploy-payments (policies/deploy.yaml:12)", "at least 20 readable characters"])
        ),
        AdmissionCase(
            "a reason of exactly the minimum length is admitted", SamplePolicy.deploy("payments-api", "production"),
            groups: ["engineers"], reason: String(repeating: "r", count: 20),
            .admitted(rule: "prod-deploy-payments", accessSeconds: 1800)
        ),
        AdmissionCase(
            "a rule without a source location is named without one", SamplePolicy.deploy("billing", "staging"),
            groups: ["engineers"], reason: "too short",
            .refused(.policyRefused, mentioning: ["rule staging-deploy: the reason must be at least 15 readable characters"])
        ),
        AdmissionCase(
            "padding does not stand in for a reason: nineteen spaces and an x", SamplePolicy.deploy("payments-api", "production"),
            groups: ["engineers"], reason: String(repeating: " ", count: 19) + "x",
            .refused(.policyRefused, mentioning: ["at least 20 readable characters"])
        ),
        AdmissionCase(
            "runs of spaces inside a reason count once", SamplePolicy.deploy("payments-api", "production"),
            groups: ["engineers"], reason: "fix" + String(repeating: " ", count: 20) + "it",
            .refused(.policyRefused, mentioning: ["at least 20 readable characters"])
        ),
        AdmissionCase(
            "a ticket that does not match the rule's pattern is refused", SamplePolicy.deploy("payments-api", "production"),
            groups: ["engineers"], ticket: "JIRA-1",
            .refused(.policyRefused, mentioning: ["rule prod-deploy-payments (policies/deploy.yaml:12)", "(INC|CHG)-[0-9]+"])
        ),
        AdmissionCase(
            "a ticket that only contains a match is refused", SamplePolicy.deploy("payments-api", "production"),
            groups: ["engineers"], ticket: "xINC-1", .refused(.policyRefused, mentioning: ["ticket must match"])
        ),
        AdmissionCase(
            "a missing ticket is refused when the rule has a pattern", SamplePolicy.deploy("payments-api", "production"),
            groups: ["engineers"], ticket: "", .refused(.policyRefused, mentioning: ["ticket must match"])
        ),
        AdmissionCase(
            "a missing ticket is admitted when the rule has no pattern", SamplePolicy.deploy("billing", "production"),
            groups: ["engineers"], ticket: "", .admitted(rule: "prod-deploy", accessSeconds: 3600)
        ),
        AdmissionCase(
            "ssh access is granted for the duration asked", SamplePolicy.ssh("db-1.prod.example.com", "postgres", 900),
            groups: ["dba"], .admitted(rule: "db-ssh", accessSeconds: 900)
        ),
        AdmissionCase(
            "ssh access of exactly the rule's maximum is admitted", SamplePolicy.ssh("db-1.prod.example.com", "postgres", 3600),
            groups: ["sre"], .admitted(rule: "db-ssh", accessSeconds: 3600)
        ),
        AdmissionCase(
            "ssh access over the rule's maximum is refused", SamplePolicy.ssh("db-1.prod.example.com", "postgres", 3601),
            groups: ["sre"], .refused(.policyRefused, mentioning: ["rule db-ssh (policies/ssh.yaml:4)", "at most 1h"])
        ),
        AdmissionCase(
            "ssh access over a rule's maximum in minutes names minutes", SamplePolicy.ssh("web.prod.example.com", "root", 7200),
            groups: ["sre"], .refused(.policyRefused, mentioning: ["rule prod-ssh:", "at most 30m"])
        ),
    ]

    @Test("admission applies the matching rule's terms", arguments: admissionTable)
    func admission(_ row: AdmissionCase) throws {
        let draft = try RequestDraft(target: row.target, reason: row.reason, ticket: row.ticket)
        let requester = Actor(name: user("alice"), groups: row.groups)
        switch row.outcome {
        case .admitted(let rule, let accessSeconds):
            let admission = try SamplePolicy.policy.admit(draft, from: requester)
            #expect(admission.rule.name == rule)
            #expect(admission.accessDurationSeconds == accessSeconds)
        case .refused(let code, let fragments):
            let error = try #require(refusal { () throws(DomainError) in try SamplePolicy.policy.admit(draft, from: requester) })
            #expect(error.code == code)
            for fragment in fragments {
                #expect(error.message.contains(fragment), "\(error.message) should mention \(fragment)")
            }
        }
    }

    @Test("an admission builds a pending request under the rule's terms")
    func admissionBuildsRequest() throws {
        let clock = ManualClock()
        clock.advance(by: 0.0004567)
        let draft = try RequestDraft(target: SamplePolicy.ssh("db-1.prod.example.com", "postgres", 900), reason: "Vacuum", ticket: "")
        let admission = try SamplePolicy.policy.admit(draft, from: Cast.bob)
        let request = admission.request(id: Fixture.id, requester: Cast.bob.name, draft: draft, at: clock.now())
        #expect(request.state == .pending)
        #expect(request.ruleName == "db-ssh")
        #expect(request.requirement == requirement([clause(2, "sre")]))
        #expect(request.accessDurationSeconds == 900)
        #expect(request.createdAt == Fixture.created)
        #expect(request.pendingExpiresAt == Fixture.created.addingTimeInterval(3600))
        #expect(request.approvals.isEmpty)
        #expect(request.accessExpiresAt == nil)
    }

    @Test("two rules may not share a name")
    func duplicateRuleNames() {
        let error = refusal { () throws(DomainError) in
            try Policy(rules: [SamplePolicy.rules[1], SamplePolicy.rules[1]], groups: GroupDirectory())
        }
        #expect(error?.code == .invalidField)
        #expect(error?.message.contains("prod-deploy") == true)
    }

    struct RuleShapeCase: Sendable, CustomTestStringConvertible {
        let why: String
        var name = "rule"
        var kind = RequestKind.deploy
        var match: [String: String] = [:]
        var requesters: Set<String> = ["*"]
        var pendingLifetimeSeconds = 3600
        var maximumAccessSeconds = 3600
        var minimumReason = 1
        var testDescription: String { why }
    }

    static let badRules: [RuleShapeCase] = [
        RuleShapeCase(why: "a rule name outside the name alphabet", name: "Prod Deploy"),
        RuleShapeCase(why: "a deploy rule matching on an ssh attribute", match: ["host": "*"]),
        RuleShapeCase(why: "an ssh rule matching on a deploy attribute", kind: .ssh, match: ["service": "*"]),
        RuleShapeCase(why: "a rule nobody may use", requesters: []),
        RuleShapeCase(why: "a pending lifetime under a minute", pendingLifetimeSeconds: 59),
        RuleShapeCase(why: "a pending lifetime over 30 days", pendingLifetimeSeconds: 30 * 24 * 3600 + 1),
        RuleShapeCase(why: "a maximum access under a minute", maximumAccessSeconds: 59),
        RuleShapeCase(why: "a maximum access over 7 days", maximumAccessSeconds: 7 * 24 * 3600 + 1),
        RuleShapeCase(why: "a negative minimum reason length", minimumReason: -1),
        RuleShapeCase(why: "a minimum reason longer than any reason", minimumReason: 1001),
    ]

    @Test("a rule of impossible shape is refused when loaded", arguments: badRules)
    func badRule(_ row: RuleShapeCase) {
        let error = refusal { () throws(DomainError) in
            try PolicyRule(
                name: row.name, kind: row.kind, match: row.match.mapValues { try! Glob($0) }, requesters: row.requesters,
                requirement: requirement([clause(1, "sre")]), pendingLifetimeSeconds: row.pendingLifetimeSeconds,
                maximumAccessSeconds: row.maximumAccessSeconds, reasonRule: ReasonRule(minimumLength: row.minimumReason)
            )
        }
        #expect(error?.code == .invalidField)
    }

    @Test(
        "requester groups admit members, '*' admits anyone, and a group named '*' grants nothing",
        arguments: [
            (Set(["engineers"]), Set(["engineers"]), true),
            (Set(["engineers"]), Set(["sre", "engineers"]), true),
            (Set(["engineers"]), Set(["sre"]), false),
            (Set(["engineers"]), Set<String>(), false),
            (Set(["*"]), Set<String>(), true),
            (Set(["dba", "*"]), Set(["finance"]), true),
            (Set(["engineers"]), Set(["*"]), false),
        ]
    )
    func requesterGroups(requesters: Set<String>, groups: Set<String>, allowed: Bool) throws {
        let rule = try PolicyRule(
            name: "rule", kind: .deploy, match: [:], requesters: requesters, requirement: requirement([clause(1, "sre")]),
            pendingLifetimeSeconds: 3600, maximumAccessSeconds: 3600, reasonRule: ReasonRule()
        )
        #expect(rule.allowsRequest(from: groups) == allowed)
    }
}

@Suite("Policy patterns in the spelling their attribute is compared in")
struct PatternSpellingTests {
    @Test("a host pattern written in upper case matches hosts in any case")
    func hostPatternsFold() throws {
        let rule = SamplePolicy.rule(
            "db", .ssh, match: ["host": "DB-*.Prod.Example.com"], requesters: ["sre"],
            requirement: requirement([clause(1, "sre")]), maximumAccessSeconds: 600
        )
        #expect(rule.match["host"]?.pattern == "db-*.prod.example.com")
        #expect(rule.matches(SamplePolicy.ssh("db-7.prod.example.com", "postgres")))
        #expect(rule.matches(SamplePolicy.ssh("DB-7.PROD.example.com", "postgres")))
    }

    static let unmatchable: [(attribute: String, kind: RequestKind, pattern: String, why: String)] = [
        ("service", .deploy, "Payments-*", "services are lower case"),
        ("environment", .deploy, "Production", "environments are lower case"),
        ("environment", .deploy, "prod env", "a space"),
        ("login", .ssh, "Postgres", "logins are lower case"),
        ("login", .ssh, "post.gres", "logins have no dot"),
        ("host", .ssh, "db-*.prod.example.com.", "hosts are compared without their trailing dot"),
        ("host", .ssh, "db_*.prod", "hosts have no underscore"),
        ("host", .ssh, "db-1:22", "hosts have no port"),
    ]

    @Test("a pattern no canonical value can match is refused, so its requests cannot fall through to a later rule", arguments: unmatchable)
    func unmatchablePatternsAreRefused(_ row: (attribute: String, kind: RequestKind, pattern: String, why: String)) throws {
        let glob = try PolicyRule.canonicalPattern(try Glob(row.pattern), for: row.attribute)
        #expect(PolicyRule.whyNeverMatches(glob, attribute: row.attribute)?.contains("can never match") == true, "\(row.why)")
        let error = refusal { () throws(DomainError) in
            try PolicyRule(
                name: "r", kind: row.kind, match: [row.attribute: try Glob(row.pattern)], requesters: ["*"],
                requirement: requirement([clause(1, "sre")]), pendingLifetimeSeconds: 3600, maximumAccessSeconds: 600,
                reasonRule: ReasonRule()
            )
        }
        #expect(error?.code == .invalidField)
    }

    @Test("patterns that can match are left alone", arguments: ["*", "payments-*", "prod[0-9]", "?"])
    func matchablePatterns(pattern: String) throws {
        #expect(PolicyRule.whyNeverMatches(try Glob(pattern), attribute: "service") == nil)
        #expect(PolicyRule.whyNeverMatches(try Glob(pattern), attribute: "host") == nil)
    }
}
