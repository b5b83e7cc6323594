import CountersignCore

/// The verdict on one policy test case.
public struct PolicyTestResult: Hashable, Sendable, CustomStringConvertible {
    public let testCase: PolicyTestCase
    public let outcome: PolicyTestOutcome
    public let passed: Bool
    /// Empty when passed; otherwise what was expected and what happened.
    public let failure: String

    public init(testCase: PolicyTestCase, outcome: PolicyTestOutcome) {
        self.testCase = testCase
        self.outcome = outcome
        var problems: [String] = []
        if !testCase.expectation.isMet(by: outcome) {
            problems.append("expected \(testCase.expectation), got \(outcome)")
        }
        if let expected = testCase.expectedRule, expected != outcome.rule {
            problems.append("expected rule \(expected), got \(outcome.rule.map { "rule \($0)" } ?? "no matching rule")")
        }
        self.passed = problems.isEmpty
        self.failure = problems.joined(separator: "; ")
    }

    /// `tests/deploy.yaml:12: FAIL two-person integrity: expected pending, got approved under …`
    public var description: String {
        passed
            ? "\(testCase.location): PASS \(testCase.name)"
            : "\(testCase.location): FAIL \(testCase.name): \(failure)"
    }

    /// `12 passed, 1 failed`: the closing line test runners print.
    public static func summary(_ results: [PolicyTestResult]) -> String {
        let passed = results.count(where: \.passed)
        return "\(passed) passed, \(results.count - passed) failed"
    }
}
