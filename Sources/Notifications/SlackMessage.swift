import CountersignCore
import Foundation

/// A notice as a Slack incoming-webhook message: a header with the severity, the summary, the
/// link to the thing's page, the details as fields, and where it came from. `text` is what
/// notifications and clients without blocks show.
///
/// Everything a person wrote (a reason, a host) is escaped for Slack's markup (`&`, `<`, `>`),
/// so a reason cannot mention `<!channel>`, ping a user or pass a link off as the gateway's.
/// Lengths stay within Slack's block limits: a header of 150 characters, a section of 3000, ten
/// fields of 2000 per section.
enum SlackMessage {
    struct Body: Encodable {
        let text: String
        let blocks: [Block]
    }

    struct Block: Encodable {
        let type: String
        let text: Text?
        let fields: [Text]?
        let elements: [Text]?

        init(type: String, text: Text? = nil, fields: [Text]? = nil, elements: [Text]? = nil) {
            self.type = type
            self.text = text
            self.fields = fields
            self.elements = elements
        }
    }

    struct Text: Encodable {
        let type: String
        let text: String

        static func markdown(_ text: String) -> Text { Text(type: "mrkdwn", text: text) }
    }

    static let sectionLimit = 3000
    static let fieldLimit = 2000
    static let fieldsPerSection = 10

    static func request(for message: OutboxMessage, webhookURL: ChannelSecret) -> ChannelRequest {
        ChannelRequest(
            url: webhookURL.revealed,
            headers: [("Content-Type", "application/json"), ("User-Agent", ChannelRequest.userAgent)],
            body: JSONBody.encode(body(for: message.notice))
        )
    }

    static func body(for notice: Notice) -> Body {
        let title = headline(notice)
        var blocks = [
            Block(type: "header", text: Text(type: "plain_text", text: title)),
            Block(type: "section", text: .markdown(escaped(notice.summary, limit: sectionLimit))),
        ]
        if let link = notice.link {
            blocks.append(Block(type: "section", text: .markdown("<\(linkTarget(link))|Open in Countersign>")))
        }
        let fields = notice.details.sorted { $0.key < $1.key }.map { name, value in
            Text.markdown(escaped("*\(name)*", limit: fieldLimit / 4) + "\n" + escaped(value, limit: fieldLimit / 2))
        }
        for start in stride(from: 0, to: fields.count, by: fieldsPerSection) {
            blocks.append(Block(type: "section", fields: Array(fields[start..<min(start + fieldsPerSection, fields.count)])))
        }
        var origin = [notice.source, notice.eventClass, notice.component, notice.group].compactMap { $0 }.filter { !$0.isEmpty }
        origin.append("dedup key \(notice.dedupKey)")
        blocks.append(Block(type: "context", elements: [.markdown(escaped(origin.joined(separator: " · "), limit: sectionLimit))]))
        return Body(text: escaped("\(title): \(notice.summary)", limit: sectionLimit), blocks: blocks)
    }

    /// What the message is, in words: a page, its resolution, or something to read.
    static func headline(_ notice: Notice) -> String {
        let severity = notice.severity.rawValue.uppercased()
        return switch notice.action {
        case .trigger: "[\(severity)] Countersign page"
        case .resolve: "[RESOLVED] Countersign page"
        case .inform: "[\(severity)] Countersign notice"
        }
    }

    /// `text` with Slack's three control characters escaped, cut (with an ellipsis) so that the
    /// escaped form stays within `limit` code points and no entity or character is split.
    static func escaped(_ text: String, limit: Int) -> String {
        let pieces = text.map { character in
            switch character {
            case "&": "&amp;"
            case "<": "&lt;"
            case ">": "&gt;"
            default: String(character)
            }
        }
        if pieces.reduce(0, { $0 + $1.unicodeScalars.count }) <= limit { return pieces.joined() }
        var result = ""
        var length = 0
        for piece in pieces {
            guard length + piece.unicodeScalars.count <= limit - 1 else { break }
            result += piece
            length += piece.unicodeScalars.count
        }
        return result + "…"
    }

    /// A link's target as Slack's `<url|text>` can hold it: the characters that would end it encoded.
    static func linkTarget(_ url: URL) -> String {
        url.absoluteString.replacingOccurrences(of: "|", with: "%7C").replacingOccurrences(of: "<", with: "%3C").replacingOccurrences(of: ">", with: "%3E")
    }
}
