import CountersignCore
import Foundation
import Notifications
import Testing

/// A notice as a Slack incoming-webhook message a person can read at a glance, escaped so that
/// nothing a requester wrote can mention a channel or forge a link.
@Suite struct SlackMessageTests {
    typealias F = NoticeFixtures

    static func message(_ notice: Notice) throws -> (request: ChannelRequest, text: String, blocks: [[String: Any]]) {
        let request = F.slack().request(for: F.message(notice, on: F.slackName), at: F.time)
        let json = try F.json(request.body)
        return (request, try #require(json["text"] as? String), try #require(json["blocks"] as? [[String: Any]]))
    }

    static func text(_ block: [String: Any]) -> String? {
        (block["text"] as? [String: Any])?["text"] as? String
    }

    @Test func itPostsToTheWebhookURLItself() throws {
        let (request, _, _) = try Self.message(F.page())
        #expect(request.url == "https://hooks.slack.com/services/T0001/B0002/\(F.slackToken)")
        #expect(request.header("Content-Type") == "application/json")
    }

    @Test func aPageShowsItsSeverityItsSummaryItsLinkItsDetailsAndWhereItCameFrom() throws {
        let (_, text, blocks) = try Self.message(F.page())
        #expect(blocks.map { $0["type"] as? String } == ["header", "section", "section", "section", "context"])
        #expect(Self.text(blocks[0]) == "[CRITICAL] Countersign page")
        #expect(Self.text(blocks[1]) == "bob broke glass on db-1.prod.example.com as postgres (INC-123)")
        #expect(Self.text(blocks[2]) == "<\(F.link.absoluteString)|Open in Countersign>")
        let fields = try #require(blocks[3]["fields"] as? [[String: String]])
        #expect(fields.map { $0["type"] } == Array(repeating: "mrkdwn", count: F.details.count))
        #expect(fields.first?["text"] == "*expires*\n2027-01-15T08:30:00.000Z")
        #expect(fields.contains { $0["text"] == "*user*\nbob" })
        let context = try #require((blocks[4]["elements"] as? [[String: String]])?.first?["text"])
        #expect(context == "\(F.source) · break-glass · db-1.prod.example.com · prod · dedup key grant-7")
        #expect(text == "[CRITICAL] Countersign page: bob broke glass on db-1.prod.example.com as postgres (INC-123)")
    }

    @Test func whatPeopleWroteCannotMentionAChannelOrFormALink() throws {
        let (_, _, blocks) = try Self.message(F.page())
        let fields = try #require(blocks[3]["fields"] as? [[String: String]])
        #expect(fields.contains { $0["text"] == "*reason*\nprimary &lt;down&gt; &amp; failing over &lt;!channel&gt;" })
        #expect(!String(decoding: F.slack().request(for: F.message(F.page(), on: F.slackName), at: F.time).body, as: UTF8.self).contains("<!channel>"))
    }

    @Test(arguments: [
        (Notice.Action.trigger, Notice.Severity.critical, "[CRITICAL] Countersign page"),
        (.resolve, .critical, "[RESOLVED] Countersign page"),
        (.inform, .error, "[ERROR] Countersign notice"),
        (.inform, .info, "[INFO] Countersign notice"),
    ])
    func theHeaderSaysWhatTheMessageIs(action: Notice.Action, severity: Notice.Severity, header: String) throws {
        let (_, _, blocks) = try Self.message(F.page(action, severity: severity))
        #expect(Self.text(blocks[0]) == header)
    }

    @Test func aNoticeWithoutLinkOrDetailsHasNeitherBlock() throws {
        let (_, _, blocks) = try Self.message(F.plain())
        #expect(blocks.map { $0["type"] as? String } == ["header", "section", "context"])
    }

    @Test func manyDetailsAreSplitTenFieldsToASection() throws {
        let details = Dictionary(uniqueKeysWithValues: (0..<25).map { (String(format: "d%02d", $0), "v\($0)") })
        let notice = try Notice(action: .inform, dedupKey: "k", summary: "s", severity: .info, source: F.source, eventClass: "c", details: details, time: F.time)
        let (_, _, blocks) = try Self.message(notice)
        #expect(blocks.compactMap { ($0["fields"] as? [Any])?.count } == [10, 10, 5])
    }

    @Test func escapingNeverTakesASectionPastSlacksLimit() throws {
        let summary = String(repeating: "<&>", count: Notice.maximumSummaryLength / 3)
        let notice = try Notice(action: .trigger, dedupKey: "k", summary: summary, severity: .critical, source: F.source, eventClass: "c", time: F.time)
        let (_, text, blocks) = try Self.message(notice)
        let section = try #require(Self.text(blocks[1]))
        #expect(section.unicodeScalars.count <= 3000)
        #expect(text.unicodeScalars.count <= 3000)
        #expect(section.hasSuffix("…"))
        // Cut between entities, never inside one.
        #expect(section.dropLast().hasSuffix(";"))
    }
}
