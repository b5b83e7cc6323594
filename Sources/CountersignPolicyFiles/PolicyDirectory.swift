import CountersignCore
import Foundation
import Yams

/// A policy directory on disk:
///
/// ```
/// policies/
///   groups.yaml           groups: { sre: [carol, dave], ... }
///   authenticators.yaml   optional: attestation roots and AAGUIDs keys must have (AuthenticatorsFile)
///   *.yaml                rules: [...] and break_glass: [...] (BreakGlassFile); read in
///                         file-name order, rules in file order
///   tests/*.yaml          policy test cases (PolicyTestSuite)
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
    /// satisfy, shadowed rules), for break-glass rules too.
    public static func load(_ directory: URL) throws(PolicyLoadError) -> LoadedPolicy {
        let contents = read(directory)
        let diagnostics = contents.diagnostics.sortedByPlace()
        guard !diagnostics.contains(where: \.isError) else {
            throw PolicyLoadError(diagnostics: diagnostics)
        }
        let policy: Policy
        do {
            policy = try Policy(
                rules: contents.rules.map(\.rule), breakGlass: contents.breakGlass.map(\.rule),
                groups: contents.groups?.directory ?? GroupDirectory(),
                authenticators: contents.authenticators?.requirement ?? .unrestricted
            )
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
            warnings: diagnostics, rules: contents.rules, breakGlass: contents.breakGlass, groups: contents.groups
        )
    }

    /// What a directory holds: every diagnostic, and whatever rules and groups could be read
    /// despite them, so lint can go on checking the rest.
    struct Contents {
        var diagnostics: [PolicyDiagnostic] = []
        var files: [PolicyFile] = []
        /// Nil when groups.yaml has errors; empty when it is missing.
        var groups: GroupsFile?
        /// Nil when authenticators.yaml has errors; unrestricted when it is missing.
        var authenticators: AuthenticatorsFile? = AuthenticatorsFile()
        var rules: [ParsedRule] = []
        var breakGlass: [ParsedBreakGlassRule] = []
        /// Rule items seen, of both kinds, whether or not they could be read: counted against the bound.
        private(set) var ruleItems = 0
        /// Request rule items seen: without one, every request would be refused.
        private var requestRuleItems = 0
        private var groupsFileFound = false
        /// Where each rule name was first defined, of either kind: names are unique across both.
        private var definitions: [String: String] = [:]

        mutating func readGroups(_ file: PolicyFile) {
            groupsFileFound = true
            var log = DiagnosticLog(file: file.name)
            defer { diagnostics += log.entries }
            switch YAMLDocument.parse(file, log: &log) {
            case .invalid:
                return
            case .empty:
                log.warning(.emptyFile, at: .none, "the file is empty: no group has members")
                groups = GroupsFile()
            case .root(let root):
                let errorsBefore = log.errorCount
                let parsed = GroupsFile.parse(root, log: &log)
                if log.errorCount == errorsBefore { groups = parsed }
            }
        }

        /// The attestation root files it names join the files read, so the fingerprint (and the
        /// audited reload) changes when a root does.
        mutating func readAuthenticators(_ file: PolicyFile, reader: PolicyFileReader) {
            var log = DiagnosticLog(file: file.name)
            defer { diagnostics += log.entries }
            switch YAMLDocument.parse(file, log: &log) {
            case .invalid:
                authenticators = nil
            case .empty:
                log.warning(.emptyFile, at: .none, "the file is empty: any key whose registration verifies may be enrolled")
            case .root(let root):
                authenticators = AuthenticatorsFile.parse(root, reader: reader, log: &log)
            }
        }

        mutating func readRules(_ file: PolicyFile) {
            // Past the rule bound nothing more is read: the error is already reported.
            guard ruleItems <= maximumRules else { return }
            var log = DiagnosticLog(file: file.name)
            defer { diagnostics += log.entries }
            guard case .root(let root) = YAMLDocument.parse(file, log: &log) else {
                if log.entries.isEmpty { log.warning(.emptyFile, at: .none, "the file is empty") }
                return
            }
            let items = RuleFile.items(root, log: &log)
            if items.isEmpty && log.entries.isEmpty { log.warning(.emptyFile, at: SourcePosition(of: root), "the file holds no rules") }
            for item in items {
                ruleItems += 1
                switch item {
                case .rule(let node):
                    requestRuleItems += 1
                    guard ruleItems <= maximumRules else { return refuseBeyondBound(node, log: &log) }
                    guard let parsed = RuleFile.parseRule(node, log: &log),
                          define(parsed.rule.name, at: parsed.position, location: parsed.location, log: &log)
                    else { continue }
                    rules.append(parsed)
                case .breakGlass(let node):
                    guard ruleItems <= maximumRules else { return refuseBeyondBound(node, log: &log) }
                    guard let parsed = BreakGlassFile.parseRule(node, log: &log),
                          define(parsed.rule.name, at: parsed.position, location: parsed.location, log: &log)
                    else { continue }
                    breakGlass.append(parsed)
                }
            }
        }

        private func refuseBeyondBound(_ node: Node, log: inout DiagnosticLog) {
            log.error(.tooManyRules, at: SourcePosition(of: node), "the policy has more than \(maximumRules) rules; the rest are not read")
        }

        /// False (logged) when the name is already taken, by a rule of either kind.
        private mutating func define(_ name: String, at position: SourcePosition, location: String, log: inout DiagnosticLog) -> Bool {
            if let first = definitions[name] {
                log.error(.duplicateRule, at: position, "rule name '\(name)' is already used at \(first); rule names must be unique, break-glass rules' included")
                return false
            }
            definitions[name] = location
            return true
        }

        /// Directory-level findings, once every file is read.
        mutating func finish(_ log: inout DiagnosticLog) {
            if !groupsFileFound {
                log.warning(.missingGroupsFile, at: .none, "there is no \(GroupsFile.name): no group has members, so no approval clause can be met")
                groups = GroupsFile()
            }
            if requestRuleItems == 0 && !(log.entries + diagnostics).contains(where: \.isError) {
                log.error(.noRules, at: .none, "the policy directory holds no rules: every request would be refused")
            }
            diagnostics = log.entries + diagnostics
        }
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
        for file in files {
            if file.name == GroupsFile.name {
                contents.readGroups(file)
            } else if file.name == AuthenticatorsFile.name {
                contents.readAuthenticators(file, reader: reader)
                contents.files += contents.authenticators?.rootFiles ?? []
            } else {
                contents.readRules(file)
            }
        }
        contents.finish(&log)
        return contents
    }
}
