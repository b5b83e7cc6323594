import CountersignPolicyFiles
import Foundation
import Testing

@Suite("Reading a policy directory stays within its bounds")
struct DirectoryBoundsTests {
    @Test("a file over 1 MiB is refused without being parsed")
    func fileTooLarge() throws {
        let padding = String(repeating: "# padding padding padding padding padding padding padding\n", count: PolicyDirectory.maximumFileBytes / 58 + 1)
        let fixture = try PolicyFixture.withGroups([
            "deploy.yaml": PolicyFixture.stagingRule,
            "huge.yaml": padding,
        ])
        defer { fixture.remove() }
        let diagnostics = fixture.loadDiagnostics()
        #expect(diagnostics.map(\.code) == [.fileTooLarge])
        #expect(diagnostics.first?.file == "huge.yaml")
        #expect(diagnostics.first?.line == 0)
    }

    @Test("a file of exactly 1 MiB is read")
    func fileAtTheBound() throws {
        let text = PolicyFixture.stagingRule + "\n"
        let fixture = try PolicyFixture.withGroups([
            "deploy.yaml": text + String(repeating: "#", count: PolicyDirectory.maximumFileBytes - text.utf8.count),
        ])
        defer { fixture.remove() }
        #expect(fixture.loadDiagnostics() == [])
    }

    @Test("more than 200 files are refused before any is read")
    func tooManyFiles() throws {
        var files: [String: String] = [:]
        for index in 0..<PolicyDirectory.maximumFiles {
            files[String(format: "rules-%03d.yaml", index)] = "rules: []\n"
        }
        let fixture = try PolicyFixture.withGroups(files)
        defer { fixture.remove() }
        #expect(fixture.loadDiagnostics().map(\.code) == [.tooManyFiles])
    }

    @Test("more than 10,000 rules are refused at the first one too many")
    func tooManyRules() throws {
        let rule = "  - { name: r%05d, kind: deploy, requesters: [payments], approvals: [{ count: 1, group: sre }] }\n"
        let half = PolicyDirectory.maximumRules / 2
        let first = "rules:\n" + (0..<half).map { String(format: rule, $0) }.joined()
        let second = "rules:\n" + (half...PolicyDirectory.maximumRules).map { String(format: rule, $0) }.joined()
        let fixture = try PolicyFixture.withGroups(["a.yaml": first, "b.yaml": second])
        defer { fixture.remove() }
        let diagnostics = fixture.loadDiagnostics()
        #expect(diagnostics.map(\.code) == [.tooManyRules])
        #expect(diagnostics.first?.file == "b.yaml")
        #expect(diagnostics.first?.line == half + 2)
    }

    @Test("an empty directory has no rules, and that is an error")
    func emptyDirectory() throws {
        let fixture = try PolicyFixture([:])
        defer { fixture.remove() }
        let diagnostics = fixture.loadDiagnostics()
        #expect(diagnostics.map(\.code) == [.missingGroupsFile, .noRules])
        #expect(diagnostics.map(\.severity) == [.warning, .error])
        #expect(diagnostics.allSatisfy { $0.file == "." })
    }

    @Test("a directory that does not exist is an error, not a crash")
    func missingDirectory() {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("countersign-no-such-\(UUID().uuidString)")
        #expect(throws: PolicyLoadError.self) { try PolicyDirectory.load(url) }
        #expect(PolicyLinter.lint(url).map(\.code) == [.unreadable])
    }

    @Test("a symbolic link to a file outside the directory is refused")
    func symlinkEscape() throws {
        let outside = try PolicyFixture(["secret.yaml": PolicyFixture.stagingRule])
        let fixture = try PolicyFixture.withGroups([:])
        defer { fixture.remove(); outside.remove() }
        try FileManager.default.createSymbolicLink(
            atPath: fixture.url.appendingPathComponent("deploy.yaml").path,
            withDestinationPath: outside.url.appendingPathComponent("secret.yaml").path
        )
        let diagnostics = fixture.loadDiagnostics()
        #expect(diagnostics.contains { $0.code == .symlinkEscape && $0.file == "deploy.yaml" })
    }

    @Test("a symbolic link within the directory is followed")
    func symlinkInside() throws {
        let fixture = try PolicyFixture.withGroups(["shared/deploy-rules.yaml": PolicyFixture.stagingRule])
        defer { fixture.remove() }
        try FileManager.default.createSymbolicLink(atPath: fixture.url.appendingPathComponent("deploy.yaml").path, withDestinationPath: "shared/deploy-rules.yaml")
        #expect(try PolicyDirectory.load(fixture.url).policy.rule(named: "staging") != nil)
    }

    @Test("a .yml file is not read, and lint says so")
    func ymlIgnored() throws {
        let fixture = try PolicyFixture.withGroups(["deploy.yaml": PolicyFixture.stagingRule, "ssh.yml": "rules: []\n"])
        defer { fixture.remove() }
        let loaded = try PolicyDirectory.load(fixture.url)
        #expect(loaded.files == ["deploy.yaml", "groups.yaml"])
        #expect(loaded.warnings.map(\.code) == [.ignoredFile])
    }

    @Test("a file that is not UTF-8 is refused")
    func notUTF8() throws {
        let fixture = try PolicyFixture.withGroups(["deploy.yaml": PolicyFixture.stagingRule])
        defer { fixture.remove() }
        try Data([0x72, 0x75, 0x6c, 0x65, 0x73, 0x3a, 0x20, 0xff, 0xfe]).write(to: fixture.url.appendingPathComponent("ssh.yaml"))
        #expect(fixture.loadDiagnostics().map(\.code) == [.badEncoding])
    }

    /// Ten levels of ten aliases each: a billion nodes from 1 KB, if anything expanded them.
    static func laughs(levels: Int, then tail: String) -> String {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1..<levels {
            let previous = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
            text += "a\(level): &a\(level) [\(previous)]\n"
        }
        return text + tail
    }

    @Test("aliases cannot inflate a small file into a huge tree", .timeLimit(.minutes(1)))
    func billionLaughs() throws {
        let fixture = try PolicyFixture.withGroups(["deploy.yaml": Self.laughs(levels: 10, then: "")])
        defer { fixture.remove() }
        let diagnostics = fixture.loadDiagnostics()
        #expect(diagnostics.map(\.code) == [.unsupportedYAML])
        #expect(diagnostics.first?.line == 1)
        #expect(diagnostics.first?.column == 5)
    }

    @Test("an alias used as a mapping key is refused before YAML compares keys", .timeLimit(.minutes(1)))
    func aliasedKeys() throws {
        let fixture = try PolicyFixture.withGroups(["deploy.yaml": Self.laughs(levels: 10, then: "m: { ? *a9 : 1, ? *a8 : 2 }\n")])
        defer { fixture.remove() }
        #expect(fixture.loadDiagnostics().map(\.code) == [.unsupportedYAML])
    }
}
