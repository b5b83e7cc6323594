import Foundation
import Testing
@testable import CountersignCore

@Suite("When a checkpoint is due")
struct CheckpointScheduleTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        /// The last checkpoint: the sequence it signed, and how many seconds before now.
        let last: (sequence: Int64, ago: TimeInterval)?
        /// Whether the head (sequence 5 of `SampleLog`, or the checkpoint's own event) is it.
        let headIsCheckpointEvent: Bool
        let spacing: TimeInterval?
        let due: Bool
        var testDescription: String { name }
    }

    @Test(
        "A head is signed once, its own event is never signed, and a spacing holds gateways to one checkpoint per period",
        arguments: [
            Case(name: "no checkpoint yet", last: nil, headIsCheckpointEvent: false, spacing: 300, due: true),
            Case(name: "the head already signed", last: (5, 3600), headIsCheckpointEvent: false, spacing: nil, due: false),
            Case(name: "only the checkpoint's own event since", last: (4, 3600), headIsCheckpointEvent: true, spacing: nil, due: false),
            Case(name: "new records, no spacing (shutdown)", last: (3, 1), headIsCheckpointEvent: false, spacing: nil, due: true),
            Case(name: "new records, the last younger than the spacing", last: (3, 299), headIsCheckpointEvent: false, spacing: 300, due: false),
            Case(name: "new records, the last exactly the spacing old", last: (3, 300), headIsCheckpointEvent: false, spacing: 300, due: true),
            Case(name: "new records, the last older than the spacing", last: (3, 900), headIsCheckpointEvent: false, spacing: 300, due: true),
            Case(name: "the head already signed long ago", last: (5, 9000), headIsCheckpointEvent: false, spacing: 300, due: false),
        ]
    )
    func due(_ example: Case) {
        let now = SampleLog.start.addingTimeInterval(3600)
        var head = SampleLog.records[4]
        if example.headIsCheckpointEvent {
            head = AuditChain.record(
                after: SampleLog.records[3],
                event: AuditEvent(time: now, actor: AuditEvent.systemActor, action: .auditCheckpoint, subject: "audit")
            )
        }
        let last = example.last.map { AuditCheckpoint.Last(sequence: $0.sequence, signedAt: now.addingTimeInterval(-$0.ago)) }
        #expect(AuditCheckpoint.isDue(head: head, last: last, at: now, spacing: example.spacing) == example.due)
    }
}
