import CountersignCore
import Foundation
import Yams

/// A policy directory on disk:
///
/// ```
/// policies/
///   groups.yaml     groups: { sre: [carol, dave], ... }
///   *.yaml          rules: [...]; read in file-name order, rules in file order
///   tests/*.yaml    policy test cases (PolicyTestSuite)
/// ```
public enum PolicyDirectory {
    public static let maximumFiles = 200
    public static let maximumFileBytes = 1 << 20
    public static let maximumRules = 10_000

    /// Reads and checks the whole directory. Throws with every diagnostic when any is an error;
    /// warnings of a policy that loads are in `LoadedPolicy.warnings`.
    ///
    /// This checks what the files say, not whether it makes sense with the membership in
    /// groups.yaml: `PolicyLinter.lint(_:)` adds those checks (unknown groups, clauses nobody can
    /// satisfy, shadowed rules).
    public static func load(_ directory: URL) throws(PolicyLoadError) -> LoadedPolicy {
        let contents = read(directory)
        let diagnostics = contents.diagnostics.sortedByPlace()
        guard !diagnostics.contains(where: \.isError) else {
            throw PolicyLoadError(diagnostics: diagnostics)
        }
        let policy: Policy
        do {
            policy = try Policy(rules: contents.rules.map(\.rule), groups: contents.groups?.directory ?? GroupDirectory())
        } catch {
            // Duplicate names are caught (with their lines) while reading; this is a safety net.
            throw PolicyLoadError(diagnostics: diagnostics + [
                PolicyDiagnostic(file: ".", line: 0, column: 0, severity: .error, code: .badValue, message: error.message),
            ])
        }
        var fingerprint = CanonicalEncoding(tag: "countersign/policy-files/v1")
        for file in contents.files {
            fingerprint.append(file.name)
            fingerprint.append(bytes: file.bytes)
        }
        return LoadedPolicy(
            policy: policy, fingerprint: fingerprint.sha256.hexString, files: contents.files.map(\.name),
            warnings: diagnostics, rules: contents.rules, groups: contents.groups
        )
    }

    /// What a directory holds: every diagnostic, and whatever rules and groups could be read
    /// despite them, so lint can go on checking the rest.
    struct Contents {
        var diagnostics: [PolicyDiagnostic] = []
        var files: [PolicyFile] = []
        /// Nil when groups.yaml is missing or has errors.
        var groups: GroupsFile?
        var groupsFileFound = false
        var rules: [ParsedRule] = []
    }

    static func read(_ directory: URL) -> Contents {
        var contents = Contents()
        var log = DiagnosticLog(file: ".")
        let reader = PolicyFileReader(root: directory, maximumFiles: maximumFiles, maximumFileBytes: maximumFileBytes)
        guard let files = reader.readFiles(in: nil, log: &log) else {
            contents.diagnostics = log.entries
            return contents
        }
        contents.files = files

        var ruleItems = 0
        var firstDefinition: [String: ParsedRule] = [:]
        for file in files {
            // Past the rule bound, only groups.yaml is still read: the error is already reported.
            if ruleItems > maximumRules && file.name != GroupsFile.name { continue }
            var fileLog = DiagnosticLog(file: file.name)
            defer { contents.diagnostics += fileLog.entries }
            let root: Node
            switch YAMLDocument.parse(file, log: &fileLog) {
            case .invalid:
                if file.name == GroupsFile.name { contents.groupsFileFound = true }
                continue
            case .empty:
                if file.name == GroupsFile.name { contents.groupsFileFound = true; contents.groups = GroupsFile() }
                fileLog.warning(.emptyFile, at: .none, "holds nothing")
                continue
            case .root(let node):
                root = node
            }
            if file.name == GroupsFile.name {
                contents.groupsFileFound = true
                let errorsBefore = fileLog.errorCount
                let groups = GroupsFile.parse(root, log: &fileLog)
                if fileLog.errorCount == errorsBefore { contents.groups = groups }
                continue
            }
            let nodes = RuleFile.ruleNodes(root, log: &fileLog)
            if nodes.isEmpty { fileLog.warning(.emptyFile, at: SourcePosition(of: root), "holds no rules") }
            for node in nodes {
                ruleItems += 1
                guard ruleItems <= maximumRules else {
                    fileLog.error(.tooManyRules, at: SourcePosition(of: node), "the policy has more than \(maximumRules) rules; the rest are not read")
                    break
                }
                guard let parsed = RuleFile.parseRule(node, log: &fileLog) else { continue }
                if let first = firstDefinition[parsed.rule.name] {
                    fileLog.error(.duplicateRule, at: parsed.position, "rule name '\(parsed.rule.name)' is already used at \(first.location); rule names must be unique")
                    continue
                }
                firstDefinition[parsed.rule.name] = parsed
                contents.rules.append(parsed)
            }
        }
        if !contents.groupsFileFound {
            log.warning(.missingGroupsFile, at: .none, "there is no \(GroupsFile.name): no group has members, so no approval clause can be met")
            contents.groups = GroupsFile()
        }
        if ruleItems == 0 && !(log.entries + contents.diagnostics).contains(where: \.isError) {
            log.error(.noRules, at: .none, "the policy directory holds no rules: every request would be refused")
        }
        contents.diagnostics = log.entries + contents.diagnostics
        return contents
    }
}
