import Foundation

/// Rules the tests put in front of the example policies' own, and the one way they are put there.
public enum PolicyRules {
    /// Every session on `rec-*.prod.internal` recorded with what the user types; one SRE's
    /// session approval.
    public static let recordedSSH = """
          - name: recorded-ssh
            kind: ssh
            match: { host: "rec-*.prod.internal" }
            requesters: [engineering]
            approvals: [{ count: 1, group: sre }]
            hardware_key: false
            certificate: { lifetime: 10m, record: true, record_input: true }

        """

    public struct MissingRules: Error, CustomStringConvertible {
        public let file: String
        public var description: String { "\(file) has no rules: line" }
    }

    /// Puts `rules` (YAML list items) first in the rule file at `file`.
    public static func prepend(_ rules: String, to file: URL) throws {
        let text = try String(contentsOf: file, encoding: .utf8)
        guard let start = text.range(of: "rules:\n") else { throw MissingRules(file: file.lastPathComponent) }
        try text.replacingCharacters(in: start, with: "rules:\n" + rules).write(to: file, atomically: true, encoding: .utf8)
    }
}
