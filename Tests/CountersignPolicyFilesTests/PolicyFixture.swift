import CountersignPolicyFiles
import Foundation

/// A policy directory written to a fresh temporary folder for one test, removed afterwards.
struct PolicyFixture {
    static let marker = "# <--"

    static let groups = """
        groups:
          payments: [alice, bob]
          payments-owners: [bob, carol]
          sre: [carol, dave]
          solo: [erin]
        """

    static let stagingRule = """
        rules:
          - name: staging
            kind: deploy
            match: { environment: staging }
            requesters: [payments]
            approvals:
              - { count: 1, group: sre }
            hardware_key: false
        """

    let url: URL
    let files: [String: String]

    /// `files` maps paths relative to the directory to their text; a path ending in `/` makes
    /// an empty folder.
    init(_ files: [String: String]) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("countersign-policy-\(UUID().uuidString)")
        self.files = files
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (path, text) in files {
            let target = url.appendingPathComponent(path)
            if path.hasSuffix("/") {
                try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
                continue
            }
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: target)
        }
    }

    /// A fixture with the standard groups.yaml and whatever else is given.
    static func withGroups(_ files: [String: String]) throws -> PolicyFixture {
        try PolicyFixture(files.merging(["groups.yaml": groups]) { mine, _ in mine })
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }

    /// The 1-based line of `file` that carries the `# <--` marker.
    func markedLine(in file: String) -> Int? {
        files[file]?.split(separator: "\n", omittingEmptySubsequences: false)
            .firstIndex { $0.contains(Self.marker) }
            .map { $0 + 1 }
    }

    /// The diagnostics `load` throws, or an empty list when it succeeds.
    func loadDiagnostics() -> [PolicyDiagnostic] {
        do {
            _ = try PolicyDirectory.load(url)
            return []
        } catch {
            return error.diagnostics
        }
    }
}

/// The repository's own `policies/` directory.
let shippedPolicies = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()
    .deletingLastPathComponent()
    .deletingLastPathComponent()
    .appendingPathComponent("policies")
