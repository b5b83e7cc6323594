import CountersignCore
import CountersignStore
import Foundation
import Testing

/// An outbox message's columns (`StoredOutboxMessage`), shared by both backends: every state and
/// every notice comes back equal; a damaged column, whether or not a backend's CHECKs would have
/// let it in, is `corrupt_row` naming the row; a message whose row could not be read back is not
/// written.
@Suite("Restoring outbox messages")
struct OutboxRestoringTests {
    static let now = Date(millisecondsSinceEpoch: 1_800_000_000_000)

    @Test("a message restores to itself in every state, with and without a notice's optional fields", arguments: [
        OutboxMessage.State.pending, .delivered(at: now), .dead(at: now, reason: "refused by the channel: 400"),
    ])
    func roundTrip(_ state: OutboxMessage.State) throws {
        for plain in [false, true] {
            let message = try OutboxStoreContract.message(at: Self.now, state: state, attempts: 3, plain: plain)
            #expect(try StoredOutboxMessage(message).restore() == message)
        }
        let claimed = DeliveryRules.claim(try OutboxStoreContract.message(at: Self.now), at: Self.now)
        #expect(try StoredOutboxMessage(claimed).restore() == claimed)
    }

    @Test("a notice whose details would be longer stored than a read accepts is refused before it is written")
    func tooLongToReadBack() throws {
        let wide = Dictionary(uniqueKeysWithValues: (0..<Notice.maximumDetails).map { ("field-\($0)", String(repeating: "\n", count: Notice.maximumDetailLength)) })
        let notice = try Notice(action: .inform, dedupKey: "k", summary: "s", severity: .info, source: "src", eventClass: "request", details: wide, time: Self.now)
        let message = OutboxMessage(id: .random(), channel: OutboxStoreContract.pager, notice: notice, createdAt: Self.now)
        #expect(throws: StoreError.self) { try StoredOutboxMessage(message) }
    }

    struct Damage: CustomTestStringConvertible, Sendable {
        let testDescription: String
        let damage: @Sendable (inout StoredOutboxMessage) -> Void
        init(_ description: String, _ damage: @escaping @Sendable (inout StoredOutboxMessage) -> Void) {
            testDescription = description
            self.damage = damage
        }
    }

    static let damages: [Damage] = [
        Damage("a channel that is not a channel name") { $0.channel = "Security Slack" },
        Damage("an unknown action") { $0.noticeAction = "escalate" },
        Damage("an unknown severity") { $0.severity = "fatal" },
        Damage("an empty dedup key") { $0.dedupKey = "" },
        Damage("a summary over its bound") { $0.summary = String(repeating: "s", count: Notice.maximumSummaryLength + 1) },
        Damage("a link that is not a URL") { $0.link = "" },
        Damage("details that are not JSON") { $0.details = "{" },
        Damage("details with text after them") { $0.details = "{} {}" },
        Damage("negative attempts") { $0.attempts = -1 },
        Damage("an unknown state") { $0.state = "sent" },
        Damage("delivered without its time") { $0.state = "delivered" },
        Damage("dead without its reason") { ($0.state, $0.deadAt) = ("dead", 1) },
        Damage("pending with a delivery time") { $0.deliveredAt = 1 },
        Damage("settled and still claimed") { ($0.state, $0.deliveredAt, $0.claimedUntil) = ("delivered", 1, 2) },
    ]

    @Test("a damaged column is corrupt_row naming the row", arguments: damages)
    func damaged(_ damage: Damage) throws {
        let message = try OutboxStoreContract.message(at: Self.now)
        var stored = try StoredOutboxMessage(message)
        damage.damage(&stored)
        do {
            _ = try stored.restore()
            Issue.record("restored a damaged row")
        } catch {
            #expect(error.code == .corruptRow)
            #expect(error.message.hasPrefix("outbox_messages row \(message.id) is damaged"))
        }
    }
}
