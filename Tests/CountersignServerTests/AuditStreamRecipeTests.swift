import CountersignServer
import Foundation
import Testing
import TestSupport

/// The receiver's check that docs/audit-stream.md gives in Python, run by Debian's python3
/// (installed with asciinema) over what a real receiver took from the gateway: the page and the
/// stream cannot drift apart.
@Suite("The audit stream's documented receiver check")
struct AuditStreamRecipeTests {
    typealias Stream = AuditStreamTests

    static func recipe() throws -> String {
        let page = try String(contentsOf: GatewayHarness.repositoryRoot.appendingPathComponent("docs/audit-stream.md"), encoding: .utf8)
        let start = try #require(page.range(of: "```python\n"))
        let end = try #require(page.range(of: "\n```", range: start.upperBound..<page.endIndex))
        return String(page[start.upperBound..<end.lowerBound])
    }

    static func check(_ lines: [String], with script: String) throws -> (status: Int32, output: String, error: String) {
        try ChildProcess.run(["/usr/bin/python3", script], input: lines.joined(separator: "\n") + "\n", environment: nil, timeout: 60, in: NSTemporaryDirectory())
    }

    @Test("it accepts the stream, a repeated batch included, and refuses a missing line or an edited one")
    func recipe() async throws {
        let script = NSTemporaryDirectory() + "verify-\(UUID().uuidString).py"
        try Self.recipe().write(toFile: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: script) }
        try await Stream.withStreamingGateway { harness, receivers in try await harness.run { api in
            try await Stream.work(api)
            try await Stream.stream(harness) {
                try Stream.sequences(Stream.lines(receivers.detection, now: harness.clock.now())).last == (try await Stream.head(harness))
            }
            let head = try await Stream.head(harness)
            let lines = receivers.detection.received.flatMap { $0.text.split(separator: "\n").map(String.init) }
            #expect(lines.count == Int(head))
            let accepted = try await blocking { try Self.check(lines + Array(lines.suffix(3)) + Array(lines.prefix(2)), with: script) }
            #expect(accepted.status == 0 && accepted.output == "verified through sequence \(head)\n", "\(accepted.error)")

            let gap = try await blocking { try Self.check(Array(lines.prefix(2)) + Array(lines.dropFirst(3)), with: script) }
            #expect(gap.status == 1 && gap.error.contains("refused: gap: expected sequence 3, received 4"), "\(gap.error)")
            let edited = lines.enumerated().map { $0.offset == 1 ? $0.element.replacingOccurrences(of: #""actor":""#, with: #""actor":"mallory-"#) : $0.element }
            let forged = try await blocking { try Self.check(edited, with: script) }
            #expect(forged.status == 1 && forged.error.contains("refused: content mismatch at sequence 2"), "\(forged.error)")
        } }
    }
}
