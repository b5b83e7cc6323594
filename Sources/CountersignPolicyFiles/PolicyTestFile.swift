import CountersignCore
import Yams

/// Reads the cases of one `tests/*.yaml` file. Requests and break-glass asks are built with the
/// core's own validation, so a case that could never be sent to the gateway is an error here, at
/// its line.
enum PolicyTestFile {
    static let caseKeys = ["name", "request", "break_glass", "approvals", "approve_with", "expect", "expect_rule"]
    static let approvalMethods: [String: ApprovalMethod] = ["hardware_key": .hardwareKey, "session": .session]
    static let commonRequestKeys = ["kind", "requester", "reason", "ticket"]
    static let requestKeys: [RequestKind: [String]] = [
        .deploy: ["service", "environment", "commit"],
        .ssh: ["host", "login", "duration"],
    ]
    /// Policy rules never look at the commit, so a case may leave it out.
    static let defaultCommit = String(repeating: "0", count: 40)

    static func parse(_ root: Node, log: inout DiagnosticLog) -> [PolicyTestCase] {
        guard let top = log.fields(of: root, "a policy test file", allowed: ["tests"], required: ["tests"]),
              let testsNode = top.present("tests"), let items = log.list(testsNode, "tests")
        else { return [] }
        return items.compactMap { parseCase($0, log: &log) }
    }

    private static func parseCase(_ node: Node, log: inout DiagnosticLog) -> PolicyTestCase? {
        let errorsBefore = log.errorCount
        guard let fields = log.fields(of: node, "a policy test", allowed: caseKeys, required: ["name", "expect"]) else { return nil }
        let name = fields.present("name").flatMap { log.text($0, "name", maximumLength: 200) }
        let isBreakGlass = fields["break_glass"] != nil
        if isBreakGlass == (fields["request"] != nil) {
            let problem = isBreakGlass ? "holds both 'request' and 'break_glass'" : "needs 'request' or 'break_glass'"
            log.error(.missingKey, at: fields.position, "a policy test \(problem): one case tests one thing")
        }
        for key in ["request", "break_glass"] where fields[key] != nil && fields.present(key) == nil {
            log.error(.missingKey, at: fields.keyPosition(key), "'\(key)' in a policy test has no value")
        }
        if isBreakGlass {
            return parseBreakGlassCase(fields, name: name, errorsBefore: errorsBefore, log: &log)
        }
        let request = fields.present("request").flatMap { parseRequest($0, log: &log) }
        var approvers: [Username] = []
        if let node = fields.present("approvals"), let entries = log.textList(node, "approvals") {
            for (text, position) in entries {
                guard let approver = try? Username(text) else {
                    log.error(.badValue, at: position, "'\(text)' is not a valid username")
                    continue
                }
                approvers.append(approver)
            }
        }
        var approvalMethod = ApprovalMethod.hardwareKey
        if let node = fields.present("approve_with"), let text = log.text(node, "approve_with") {
            if let method = approvalMethods[text] {
                approvalMethod = method
            } else {
                log.error(.badValue, at: SourcePosition(of: node), "approve_with must be hardware_key or session, not '\(text)'")
            }
        }
        let expectation = fields.present("expect").flatMap { parseExpectation($0, breakGlass: false, log: &log) }
        let expectedRule = fields.present("expect_rule").flatMap { log.text($0, "expect_rule", maximumLength: 64) }
        guard log.errorCount == errorsBefore, let name, let request, let expectation else { return nil }
        return PolicyTestCase(
            name: name, location: SourceLocation(file: log.file, line: fields.position.line),
            subject: .request(requester: request.requester, draft: request.draft, approvers: approvers, approvalMethod: approvalMethod),
            expectation: expectation, expectedRule: expectedRule
        )
    }

    /// A request case expects a request's outcome, a break-glass case a grant's: `expect: active`
    /// under a request, or `approved` under break-glass, is a mistake in the test.
    static func parseExpectation(_ node: Node, breakGlass: Bool, log: inout DiagnosticLog) -> PolicyTestExpectation? {
        guard let text = log.text(node, "expect") else { return nil }
        let expectation = breakGlass ? PolicyTestExpectation(breakGlass: text) : PolicyTestExpectation(request: text)
        if expectation == nil {
            let spellings = breakGlass ? PolicyTestExpectation.breakGlassSpellings : PolicyTestExpectation.requestSpellings
            log.error(.badValue, at: SourcePosition(of: node), "expect of a \(breakGlass ? "break-glass" : "request") test must be one of \(spellings.joined(separator: ", ")), not '\(text)'")
        }
        return expectation
    }

    private static func parseRequest(_ node: Node, log: inout DiagnosticLog) -> (requester: Username, draft: RequestDraft)? {
        let errorsBefore = log.errorCount
        // The kind decides which other keys belong; read it before checking them.
        var kind: RequestKind?
        if case .mapping(let mapping) = node,
           let kindNode = mapping.first(where: { $0.key.string == "kind" })?.value,
           let text = log.text(kindNode, "kind") {
            kind = RequestKind(rawValue: text).flatMap { RequestKind.requestable.contains($0) ? $0 : nil }
            if kind == nil {
                log.error(.badValue, at: SourcePosition(of: kindNode), "kind must be one of \(RequestKind.requestable.map(\.rawValue).joined(separator: ", ")), not '\(text)'")
            }
        }
        let specific = kind.map { requestKeys[$0] ?? [] } ?? RequestKind.requestable.flatMap { requestKeys[$0] ?? [] }
        let required: [String] = switch kind {
        case .deploy: ["service", "environment"]
        case .ssh: ["host", "login", "duration"]
        case .breakGlass, nil: []
        }
        let what = kind.map { "\($0.withArticle) request" } ?? "a request"
        guard let fields = log.fields(of: node, what, allowed: commonRequestKeys + specific, required: ["kind", "requester", "reason"] + required) else { return nil }

        var requester: Username?
        if let node = fields.present("requester"), let text = log.text(node, "requester") {
            requester = try? Username(text)
            if requester == nil { log.error(.badValue, at: SourcePosition(of: node), "'\(text)' is not a valid username") }
        }
        let reason = fields.present("reason").flatMap { log.text($0, "reason") }
        let ticket = fields.present("ticket").flatMap { log.text($0, "ticket", maximumLength: 64) } ?? ""

        var target: RequestTarget?
        switch kind {
        case .deploy:
            var commit: ArtifactReference?
            let commitNode = fields.present("commit")
            if let text = commitNode.map({ log.text($0, "commit") }) ?? defaultCommit {
                do {
                    commit = try ArtifactReference(text)
                } catch {
                    log.error(.badValue, at: commitNode.map { SourcePosition(of: $0) } ?? fields.position, error.message)
                }
            }
            if let service = fields.present("service").flatMap({ log.text($0, "service") }),
               let environment = fields.present("environment").flatMap({ log.text($0, "environment") }),
               let commit {
                target = build(at: fields.position, log: &log) { () throws(DomainError) in
                    .deploy(try DeployTarget(service: service, environment: environment, commit: commit))
                }
            }
        case .ssh:
            let duration = fields.present("duration").flatMap {
                log.duration($0, "duration", range: SSHTarget.minimumDurationSeconds...SSHTarget.maximumDurationSeconds)
            }
            if let host = fields.present("host").flatMap({ log.text($0, "host") }),
               let login = fields.present("login").flatMap({ log.text($0, "login") }),
               let duration {
                target = build(at: fields.position, log: &log) { () throws(DomainError) in
                    .ssh(try SSHTarget(host: host, login: login, durationSeconds: duration))
                }
            }
        case .breakGlass, nil:
            break
        }
        guard log.errorCount == errorsBefore, let requester, let reason, let target else { return nil }
        let draft = build(at: fields.position, log: &log) { () throws(DomainError) in
            try RequestDraft(target: target, reason: reason, ticket: ticket)
        }
        return draft.map { (requester, $0) }
    }

    /// Runs a core constructor, logging its refusal at `position`.
    private static func build<Value>(at position: SourcePosition, log: inout DiagnosticLog, _ make: () throws(DomainError) -> Value) -> Value? {
        do {
            return try make()
        } catch {
            log.error(.badValue, at: position, "request: \(error.message)")
            return nil
        }
    }
}
