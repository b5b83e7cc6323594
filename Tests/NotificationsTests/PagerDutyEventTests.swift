import CountersignCore
import Foundation
import Notifications
import Testing

/// A notice as PagerDuty's Events API v2 takes it, field by field.
@Suite struct PagerDutyEventTests {
    typealias F = NoticeFixtures

    static func body(_ notice: Notice) throws -> (request: ChannelRequest, json: [String: Any]) {
        let request = F.pager().request(for: F.message(notice), at: F.time)
        return (request, try F.json(request.body))
    }

    @Test func aTriggerCarriesTheRoutingKeyActionDedupKeyAndEveryPayloadField() throws {
        let (request, json) = try Self.body(F.page())
        #expect(request.url == "https://events.pagerduty.com/v2/enqueue")
        #expect(request.header("Content-Type") == "application/json")
        #expect(json["routing_key"] as? String == F.routingKey)
        #expect(json["event_action"] as? String == "trigger")
        #expect(json["dedup_key"] as? String == "grant-7")
        let payload = try #require(json["payload"] as? [String: Any])
        #expect(payload["summary"] as? String == "bob broke glass on db-1.prod.example.com as postgres (INC-123)")
        #expect(payload["source"] as? String == F.source)
        #expect(payload["severity"] as? String == "critical")
        #expect(payload["timestamp"] as? String == "2027-01-15T08:00:00.250Z")
        #expect(payload["component"] as? String == "db-1.prod.example.com")
        #expect(payload["group"] as? String == "prod")
        #expect(payload["class"] as? String == "break-glass")
        #expect(payload["custom_details"] as? [String: String] == F.details)
        #expect(Set(payload.keys) == ["summary", "source", "severity", "timestamp", "component", "group", "class", "custom_details"])
        let links = try #require(json["links"] as? [[String: String]])
        #expect(links == [["href": F.link.absoluteString, "text": "Open in Countersign"]])
        #expect(Set(json.keys) == ["routing_key", "event_action", "dedup_key", "payload", "links"])
    }

    @Test func aResolveCarriesOnlyTheRoutingKeyActionAndDedupKey() throws {
        let (_, json) = try Self.body(F.page(.resolve))
        #expect(json["event_action"] as? String == "resolve")
        #expect(json["dedup_key"] as? String == "grant-7")
        #expect(json["routing_key"] as? String == F.routingKey)
        #expect(Set(json.keys) == ["routing_key", "event_action", "dedup_key"])
    }

    @Test func aNoticeToReadGoesAsATriggerWithItsOwnSeverity() throws {
        let (_, json) = try Self.body(F.page(.inform, severity: .error))
        #expect(json["event_action"] as? String == "trigger")
        #expect((json["payload"] as? [String: Any])?["severity"] as? String == "error")
    }

    @Test func optionalFieldsAbsentFromTheNoticeAreAbsentFromTheEvent() throws {
        let (_, json) = try Self.body(F.plain())
        let payload = try #require(json["payload"] as? [String: Any])
        #expect(payload["component"] == nil)
        #expect(payload["group"] == nil)
        #expect(payload["custom_details"] as? [String: String] == [:])
        #expect(payload["severity"] as? String == "info")
        #expect(json["links"] == nil)
    }

    @Test func theEventsURLCanBeOverridden() {
        let request = F.pager(eventsURL: "http://127.0.0.1:9/v2/enqueue").request(for: F.message(), at: F.time)
        #expect(request.url == "http://127.0.0.1:9/v2/enqueue")
    }

    @Test func theSameNoticeAlwaysGivesTheSameBytes() {
        let message = F.message()
        #expect(F.pager().request(for: message, at: F.time).body == F.pager().request(for: message, at: F.time.addingTimeInterval(3600)).body)
    }

    @Test func printingTheRequestShowsNeitherBodyNorKey() {
        let request = F.pager().request(for: F.message(), at: F.time)
        for text in ["\(request)", String(reflecting: request), { var out = ""; dump(request, to: &out); return out }()] {
            #expect(!F.leaks(text), "\(text)")
        }
    }
}
