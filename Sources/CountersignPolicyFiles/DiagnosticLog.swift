import Yams

/// A place in a file, from a YAML node's mark.
struct SourcePosition: Hashable, Sendable {
    let line: Int
    let column: Int

    static let none = SourcePosition(line: 0, column: 0)

    init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    init(_ mark: Mark?) {
        self.init(line: mark?.line ?? 0, column: mark?.column ?? 0)
    }

    init(of node: Node) {
        self.init(node.mark)
    }
}

/// Collects the diagnostics of one file as its parts are read, so that reading goes on after a
/// problem and the author sees every problem at once.
struct DiagnosticLog {
    let file: String
    private(set) var entries: [PolicyDiagnostic] = []

    init(file: String) {
        self.file = file
    }

    var errorCount: Int { entries.count(where: \.isError) }

    mutating func error(_ code: PolicyDiagnostic.Code, at position: SourcePosition, _ message: String) {
        add(.error, code, at: position, message)
    }

    mutating func warning(_ code: PolicyDiagnostic.Code, at position: SourcePosition, _ message: String) {
        add(.warning, code, at: position, message)
    }

    /// Keeps a diagnostic made elsewhere (by the log of one file of a folder).
    mutating func append(_ diagnostic: PolicyDiagnostic) {
        entries.append(diagnostic)
    }

    private mutating func add(_ severity: PolicyDiagnostic.Severity, _ code: PolicyDiagnostic.Code, at position: SourcePosition, _ message: String) {
        entries.append(PolicyDiagnostic(
            file: file, line: position.line, column: position.column, severity: severity, code: code, message: message
        ))
    }
}
