/// Why a policy directory (or its test suite) was refused: every problem found, not just the
/// first, so one edit-lint cycle fixes them all.
public struct PolicyLoadError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Errors and warnings, ordered by file and line. At least one is an error.
    public let diagnostics: [PolicyDiagnostic]

    public init(diagnostics: [PolicyDiagnostic]) {
        self.diagnostics = diagnostics
    }

    public var errors: [PolicyDiagnostic] { diagnostics.filter(\.isError) }

    public var description: String {
        let count = errors.count
        let heading = "policy files refused: \(count) error\(count == 1 ? "" : "s")"
        return ([heading] + diagnostics.map(\.description)).joined(separator: "\n")
    }
}
