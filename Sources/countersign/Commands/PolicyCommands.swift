import ArgumentParser
import CountersignAPI
import CountersignPolicyFiles
import Foundation

struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Check, test and explain policy-as-code.",
        subcommands: [PolicyCheck.self, PolicyTest.self, PolicyExplain.self]
    )
}

struct PolicyCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Lint a policy directory, request and break-glass rules: unknown keys, bad globs and durations, unknown groups, unsatisfiable approvals.",
        discussion: "Prints file:line:column messages. Exits 1 when there is any error, 0 when only warnings or nothing."
    )

    @Argument(help: "Policy directory.") var directory = "policies"

    func run() async throws {
        try await reportingFailures {
            let url = URL(fileURLWithPath: directory)
            guard FileManager.default.fileExists(atPath: url.path) else { throw CLIFailure.input("no directory \(directory)") }
            let diagnostics = PolicyLinter.lint(url)
            for diagnostic in diagnostics { print(diagnostic.rendered(in: directory)) }
            let errors = diagnostics.filter(\.isError).count
            if errors > 0 {
                throw CLIFailure.refused("\(errors) error\(errors == 1 ? "" : "s") in \(directory)")
            }
            let counts = (try? PolicyDirectory.load(url)).map { loaded in
                "\(plural(loaded.policy.rules.count, "rule")), \(plural(loaded.policy.breakGlass.count, "break-glass rule")), "
            } ?? ""
            print("\(directory): policy is valid (\(counts)\(plural(diagnostics.count, "warning"))).")
        }
    }

    private func plural(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }
}

struct PolicyTest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run the policy test cases kept in DIR/tests/*.yaml against the policy in DIR.",
        discussion: """
            Each case files a request and applies approvals in order, or breaks glass (`break_glass:`), and compares the outcome \
            with `expect` (and the deciding rule with `expect_rule`). Exits 1 if any case fails.
            """
    )

    @Argument(help: "Policy directory.") var directory = "policies"
    @Flag(name: .shortAndLong, help: "Also print passing cases.") var verbose = false

    func run() async throws {
        try await reportingFailures {
            let url = URL(fileURLWithPath: directory)
            let loaded: LoadedPolicy
            let suite: PolicyTestSuite
            do throws(PolicyLoadError) {
                loaded = try PolicyDirectory.load(url)
                suite = try PolicyTestSuite.load(url)
            } catch {
                for diagnostic in error.diagnostics { print(diagnostic.rendered(in: directory)) }
                throw CLIFailure.input("\(directory) does not load")
            }
            let results = PolicyTestRunner.run(suite, policy: loaded.policy)
            for result in results where verbose || !result.passed { print(result) }
            print(PolicyTestResult.summary(results))
            if results.contains(where: { !$0.passed }) { throw CLIFailure.refused("policy tests failed") }
        }
    }
}

struct PolicyExplain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show which rule governs a request, where it is written, and what approval is still missing."
    )

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Request id.") var id: String

    func run() async throws {
        try await reportingFailures {
            let explanation = try await gateway.client().get("/v1/requests/\(PathSegment.encode(id))/explain", as: ExplanationView.self)
            if output.json { return try JSONOutput.print(explanation) }
            print("Request \(explanation.requestId) (\(explanation.state)) was filed under rule \(explanation.rule)\(explanation.ruleSource.map { " at \($0)" } ?? " (no longer in the policy)").")
            if let current = explanation.currentRule, current != explanation.rule {
                print("Under the policy in force today it would match rule \(current).")
            } else if explanation.currentRule == nil {
                print("Under the policy in force today no rule would match it.")
            }
            print("Approvals: \(explanation.requirement.summary)")
            for line in explanation.missing { print("Missing: \(line)") }
        }
    }
}
