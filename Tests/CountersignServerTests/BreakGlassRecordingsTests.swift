import CountersignAPI
import Foundation
import Testing
import TestSupport

@testable import CountersignServer

/// A grant's reviewers judge it by its recordings, so they see them even when they are neither
/// auditors nor admins; nobody else does.
@Suite("A break-glass grant's recordings, seen by its reviewers", .timeLimit(.minutes(2)))
struct BreakGlassRecordingsTests {
    /// The example policies, the production break-glass rule reviewed by the SREs.
    static func policies(in directory: URL) throws -> URL {
        let copy = directory.appendingPathComponent("policies-sre-reviewed")
        try FileManager.default.copyItem(at: GatewayHarness.examplePolicies, to: copy)
        let rules = copy.appendingPathComponent("break-glass.yaml")
        let text = try String(contentsOf: rules, encoding: .utf8)
        let marker = "  - name: production-break-glass\n"
        guard text.contains(marker) else { throw HarnessError("policies/break-glass.yaml no longer has the production rule") }
        try text.replacingOccurrences(of: marker, with: marker + "    reviewers: [sre]\n").write(to: rules, atomically: true, encoding: .utf8)
        return copy
    }

    @Test("dave (sre, the rule's reviewers) lists, opens and plays carol's grant's recording; alice gets nothing and 404")
    func reviewersSeeRecordings() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("countersign-bg-recordings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let harness = try await GatewayHarness.make(policies: try Self.policies(in: directory)) {
            $0.recorderCommand = "/usr/local/bin/countersign record --gateway http://127.0.0.1:1"
        }
        try await harness.run { api in
            let carol = try await api.login("carol")
            let dave = try await api.login("dave")
            let alice = try await api.login("alice")
            let response = try await api.send(.post, "/v1/break-glass", body: BreakGlassAPITests.ask(), token: carol)
            try #require(response.status == .created, "\(String(buffer: response.body))")
            let granted = try api.decode(BreakGlassGrantedView.self, response)
            #expect(granted.grant.reviewers == ["sre"])
            let id = granted.grant.request.id
            let recording = try #require(granted.certificate?.recordingId)

            let listed = try api.decode(RecordingListView.self, try await api.send(.get, "/v1/recordings?request=\(id)", token: dave))
            #expect(listed.recordings.map(\.id) == [recording], "the reviewer lists the grant's recording")
            #expect(try await api.send(.get, "/v1/recordings/\(recording)", token: dave).status == .ok)
            #expect(try await api.send(.get, "/v1/recordings/\(recording)/cast", token: dave).status == .ok)
            #expect(try await api.send(.get, "/v1/recordings/\(recording)/frames", token: dave).status == .ok)

            let other = try api.decode(RecordingListView.self, try await api.send(.get, "/v1/recordings?request=\(id)", token: alice))
            #expect(other.recordings.isEmpty)
            #expect(try await api.send(.get, "/v1/recordings/\(recording)", token: alice).status == .notFound)
            #expect(try await api.send(.get, "/v1/recordings/\(recording)/frames", token: alice).status == .notFound)
            // Reviewing one grant opens no one else's recordings: dave's own listing stays his own.
            let everything = try api.decode(RecordingListView.self, try await api.send(.get, "/v1/recordings", token: dave))
            #expect(everything.recordings.allSatisfy { $0.user == "dave" })
        }
    }
}
