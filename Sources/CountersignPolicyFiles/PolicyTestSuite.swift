import CountersignCore
import Foundation
import Yams

/// The policy tests of a directory, from `tests/*.yaml`:
///
/// ```yaml
/// tests:
///   - name: payments deploy needs an owner and an SRE
///     request:
///       kind: deploy
///       requester: alice
///       service: payments-api
///       environment: production
///       reason: "Roll out fix for settlement rounding"
///       ticket: CHG-1042
///     approvals: [bob, dave]
///     expect: approved
///     expect_rule: payments-production-deploy
///   - name: an on-call SRE breaks glass on a database, touching their key
///     break_glass: { user: carol, host: db-1.prod.internal, login: postgres, incident: INC-4711, key: touched }
///     expect: awaiting_agreement     # active | awaiting_agreement | refused | break_glass_not_on_call, …
///     expect_rule: database-break-glass
/// ```
public struct PolicyTestSuite: Hashable, Sendable {
    public static let folder = "tests"

    public let cases: [PolicyTestCase]
    /// The files read, relative to the policy directory.
    public let files: [String]
    public let warnings: [PolicyDiagnostic]

    public init(cases: [PolicyTestCase], files: [String] = [], warnings: [PolicyDiagnostic] = []) {
        self.cases = cases
        self.files = files
        self.warnings = warnings
    }

    /// Reads `tests/*.yaml` of a policy directory, with the same bounds as the policy itself.
    /// No tests folder gives an empty suite; any error throws with every diagnostic.
    public static func load(_ directory: URL) throws(PolicyLoadError) -> PolicyTestSuite {
        var log = DiagnosticLog(file: ".")
        let reader = PolicyFileReader(
            root: directory, maximumFiles: PolicyDirectory.maximumFiles, maximumFileBytes: PolicyDirectory.maximumFileBytes
        )
        let files = reader.readFiles(in: folder, optional: true, log: &log) ?? []
        var diagnostics = log.entries
        var cases: [PolicyTestCase] = []
        var firstCase: [String: PolicyTestCase] = [:]
        for file in files {
            var fileLog = DiagnosticLog(file: file.name)
            if case .root(let root) = YAMLDocument.parse(file, log: &fileLog) {
                for testCase in PolicyTestFile.parse(root, log: &fileLog) {
                    if let first = firstCase[testCase.name] {
                        fileLog.warning(.duplicateTest, at: SourcePosition(line: testCase.location.line, column: 0), "test '\(testCase.name)' has the same name as the one at \(first.location)")
                    } else {
                        firstCase[testCase.name] = testCase
                    }
                    cases.append(testCase)
                }
            }
            diagnostics += fileLog.entries
        }
        diagnostics = diagnostics.sortedByPlace()
        guard !diagnostics.contains(where: \.isError) else { throw PolicyLoadError(diagnostics: diagnostics) }
        return PolicyTestSuite(cases: cases, files: files.map(\.name), warnings: diagnostics)
    }
}
