import CountersignPolicyFiles
import Testing

@Suite("Diagnostics render as compilers print them")
struct PolicyDiagnosticTests {
    let diagnostic = PolicyDiagnostic(
        file: "deploy.yaml", line: 12, column: 7, severity: .error, code: .unknownKey, message: "unknown key 'requestors' in a rule"
    )

    @Test("file:line:column: severity: message [code]")
    func description() {
        #expect(diagnostic.description == "deploy.yaml:12:7: error: unknown key 'requestors' in a rule [unknown_key]")
    }

    @Test("rendered from the user's directory")
    func rendered() {
        #expect(diagnostic.rendered(in: "policies/") == "policies/deploy.yaml:12:7: error: unknown key 'requestors' in a rule [unknown_key]")
    }

    @Test("a problem with no place names only the file, or the directory")
    func withoutPlace() {
        let file = PolicyDiagnostic(file: "huge.yaml", line: 0, column: 0, severity: .error, code: .fileTooLarge, message: "too big")
        let directory = PolicyDiagnostic(file: ".", line: 0, column: 0, severity: .warning, code: .missingGroupsFile, message: "no groups")
        #expect(file.description == "huge.yaml: error: too big [file_too_large]")
        #expect(directory.rendered(in: "policies") == "policies: warning: no groups [missing_groups_file]")
    }

    @Test("a load error lists every diagnostic under a count of errors")
    func loadError() {
        let error = PolicyLoadError(diagnostics: [diagnostic, diagnostic])
        #expect(error.description.split(separator: "\n").first == "policy files refused: 2 errors")
        #expect(error.errors.count == 2)
    }
}
