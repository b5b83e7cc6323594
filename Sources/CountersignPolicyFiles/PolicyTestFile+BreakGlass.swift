import CountersignCore
import Yams

/// A break-glass case of a policy test file:
///
/// ```yaml
/// break_glass: { user: carol, host: db-1.prod.internal, login: postgres, incident: INC-4711, duration: 10m, key: touched }
/// ```
///
/// `reason` may be left out (the case's name stands in: no rule reads it), as may `duration`
/// (the rule's longest is asked for) and `key` (none: the user has no enrolled key).
extension PolicyTestFile {
    static let breakGlassKeys = ["user", "host", "login", "incident", "reason", "duration", "key"]
    /// The keys only a request case has: break-glass waits for no approval.
    static let requestOnlyKeys = ["approvals", "approve_with"]

    /// The rest of a case whose `fields` hold `break_glass`, `name` already read.
    static func parseBreakGlassCase(_ fields: FieldMap, name: String?, errorsBefore: Int, log: inout DiagnosticLog) -> PolicyTestCase? {
        for key in requestOnlyKeys where fields[key] != nil {
            log.error(.unknownKey, at: fields.keyPosition(key), "unknown key '\(key)' in a break-glass test: break-glass waits for no approval")
        }
        let attempt = fields.present("break_glass").flatMap { parseBreakGlass($0, defaultReason: name, log: &log) }
        let expectation = fields.present("expect").flatMap { parseExpectation($0, breakGlass: true, log: &log) }
        let expectedRule = fields.present("expect_rule").flatMap { log.text($0, "expect_rule", maximumLength: 64) }
        guard log.errorCount == errorsBefore, let name, let attempt, let expectation else { return nil }
        return PolicyTestCase(
            name: name, location: SourceLocation(file: log.file, line: fields.position.line),
            subject: .breakGlass(user: attempt.user, ask: attempt.ask, key: attempt.key), expectation: expectation, expectedRule: expectedRule
        )
    }

    static func parseBreakGlass(
        _ node: Node, defaultReason: String?, log: inout DiagnosticLog
    ) -> (user: Username, ask: BreakGlassAsk, key: PolicyTestCase.KeyHolding)? {
        let errorsBefore = log.errorCount
        guard let fields = log.fields(of: node, "a break-glass attempt", allowed: breakGlassKeys, required: ["user", "host", "login", "incident"]) else { return nil }
        var user: Username?
        if let node = fields.present("user"), let text = log.text(node, "user") {
            user = try? Username(text)
            if user == nil { log.error(.badValue, at: SourcePosition(of: node), "'\(text)' is not a valid username") }
        }
        let host = fields.present("host").flatMap { log.text($0, "host") }
        let login = fields.present("login").flatMap { log.text($0, "login") }
        let incident = fields.present("incident").flatMap { log.text($0, "incident", maximumLength: BreakGlassAsk.maximumIncidentLength) }
        let reason = fields.present("reason").map { log.text($0, "reason", maximumLength: BreakGlassAsk.maximumReasonLength) } ?? defaultReason
        let duration = fields.present("duration").map { log.duration($0, "duration", range: BreakGlassFile.durationRange) }
        var key = PolicyTestCase.KeyHolding.none
        if let node = fields.present("key"), let text = log.text(node, "key") {
            if let holding = PolicyTestCase.KeyHolding(rawValue: text) {
                key = holding
            } else {
                log.error(.badValue, at: SourcePosition(of: node), "key must be one of \(PolicyTestCase.KeyHolding.allCases.map(\.rawValue).joined(separator: ", ")), not '\(text)'")
            }
        }
        guard log.errorCount == errorsBefore, let user, let host, let login, let incident, let reason else { return nil }
        if case .some(.none) = duration { return nil }
        do {
            let ask = try BreakGlassAsk(host: host, login: login, incident: incident, reason: reason, durationSeconds: duration ?? nil)
            return (user, ask, key)
        } catch {
            log.error(.badValue, at: fields.position, "break_glass: \(error.message)")
            return nil
        }
    }
}
