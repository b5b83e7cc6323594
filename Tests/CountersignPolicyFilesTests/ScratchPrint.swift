import CountersignPolicyFiles
import Foundation
import Testing

@Test("scratch print") func scratchPrint() throws {
    for d in PolicyLinter.lint(URL(fileURLWithPath: "/tmp/pbad")) { print(d.rendered(in: "/tmp/pbad")) }
    do { _ = try PolicyTestSuite.load(URL(fileURLWithPath: "/tmp/pbad")) } catch { print(error) }
    do { _ = try PolicyDirectory.load(URL(fileURLWithPath: "/tmp/pbad")) } catch { print(error.description.prefix(80)) }
    for d in PolicyLinter.lint(shippedPolicies) { print(d.rendered(in: "policies")) }
    let loaded = try PolicyDirectory.load(shippedPolicies)
    print(loaded.fingerprint)
    for r in PolicyTestRunner.run(try PolicyTestSuite.load(shippedPolicies), policy: loaded.policy) { print(r, "|", r.outcome) }
}
