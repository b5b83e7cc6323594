/// One problem found in a policy directory, at a place a person can open in an editor.
///
/// `code` is stable: tests, the CLI's exit status and the server's reload report compare it.
/// `message` is for people.
public struct PolicyDiagnostic: Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Hashable, Sendable, Comparable {
        /// The policy is refused: the gateway keeps running on the policy it had.
        case error
        /// The policy loads, but probably does not say what its author meant.
        case warning

        public static func < (lhs: Severity, rhs: Severity) -> Bool {
            lhs == .error && rhs == .warning
        }
    }

    public enum Code: String, Hashable, Sendable, CaseIterable {
        // Reading the directory.
        /// The directory or a file in it cannot be read.
        case unreadable
        /// A file is not UTF-8 text.
        case badEncoding = "bad_encoding"
        /// More files than `PolicyDirectory.maximumFiles`.
        case tooManyFiles = "too_many_files"
        /// A file larger than `PolicyDirectory.maximumFileBytes`.
        case fileTooLarge = "file_too_large"
        /// More rules than `PolicyDirectory.maximumRules`.
        case tooManyRules = "too_many_rules"
        /// A symbolic link that points outside the policy directory.
        case symlinkEscape = "symlink_escape"
        /// A file that looks like policy but is not read (`.yml` instead of `.yaml`).
        case ignoredFile = "ignored_file"
        /// There is no groups.yaml: no group has members.
        case missingGroupsFile = "missing_groups_file"
        /// A file holds no document at all.
        case emptyFile = "empty_file"
        /// No file holds a rule: every request would be refused.
        case noRules = "no_rules"

        // YAML.
        /// The file is not well-formed YAML.
        case yamlSyntax = "yaml_syntax"
        /// A mapping names the same key twice.
        case duplicateKey = "duplicate_key"
        /// Anchors, aliases and explicit tags: they hide what a rule says from its reviewer.
        case unsupportedYAML = "unsupported_yaml"

        // Shape of the policy.
        case unknownKey = "unknown_key"
        case missingKey = "missing_key"
        /// A value of the wrong type or shape (a text where a list belongs, a bad username...).
        case badValue = "bad_value"
        case badGlob = "bad_glob"
        /// A pattern that no request's attribute, in its canonical spelling, can ever match.
        case unmatchablePattern = "unmatchable_pattern"
        case badDuration = "bad_duration"
        case badTicketPattern = "bad_ticket_pattern"
        /// An attestation root file that is not PEM certificates (or holds a private key).
        case badCertificate = "bad_certificate"
        /// An AAGUID that is not a UUID, or the all-zero one.
        case badAAGUID = "bad_aaguid"
        /// Two rules share a name.
        case duplicateRule = "duplicate_rule"
        /// Two policy test cases share a name.
        case duplicateTest = "duplicate_test"

        // Meaning of the policy (lint).
        /// A rule names a group that groups.yaml does not define.
        case unknownGroup = "unknown_group"
        /// The known members can never satisfy a rule's approvals with distinct people.
        case unsatisfiable
        /// Someone may file requests under a rule that nobody else could then approve.
        case unapprovableRequester = "unapprovable_requester"
        /// An earlier rule matches every request a rule would, so the rule never decides.
        case shadowedRule = "shadowed_rule"
        /// An on-call group of a break-glass rule has no members: nobody in it can break glass.
        case emptyOnCall = "empty_on_call"
        /// Nobody other than a break-glass grant's user could review it (a grant is never
        /// reviewed by its own user), so its review would escalate for ever.
        case unreviewable
    }

    /// Path relative to the policy directory (`deploy.yaml`, `tests/ssh.yaml`); `.` for the
    /// directory itself.
    public let file: String
    /// 1-based; 0 when the problem is not at a place in the file.
    public let line: Int
    /// 1-based, in Unicode scalars as libyaml counts them; 0 when there is no place.
    public let column: Int
    public let severity: Severity
    public let code: Code
    public let message: String

    public init(file: String, line: Int, column: Int, severity: Severity, code: Code, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.severity = severity
        self.code = code
        self.message = message
    }

    public var isError: Bool { severity == .error }

    /// `deploy.yaml:12:7: error: unknown key 'requestors' in a rule [unknown_key]`: the shape
    /// compilers use, so editors and CI annotate the line.
    public var description: String {
        "\(place(file)): \(severity.rawValue): \(message) [\(code.rawValue)]"
    }

    /// The same line with the file named from where the user stands (`policies/deploy.yaml:12:7`).
    public func rendered(in directory: String) -> String {
        let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        let path = file == "." ? base : "\(base)/\(file)"
        return "\(place(path)): \(severity.rawValue): \(message) [\(code.rawValue)]"
    }

    private func place(_ path: String) -> String {
        guard line > 0 else { return path }
        guard column > 0 else { return "\(path):\(line)" }
        return "\(path):\(line):\(column)"
    }
}

extension [PolicyDiagnostic] {
    /// Directory-level problems first, then by file, line and column; stable for equal places.
    func sortedByPlace() -> [PolicyDiagnostic] {
        enumerated().sorted { left, right in
            let (a, b) = (left.element, right.element)
            if a.file != b.file {
                if a.file == "." || b.file == "." { return a.file == "." }
                return a.file.utf8.lexicographicallyPrecedes(b.file.utf8)
            }
            if a.line != b.line { return a.line < b.line }
            if a.column != b.column { return a.column < b.column }
            return left.offset < right.offset
        }.map(\.element)
    }
}
