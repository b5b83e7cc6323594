import CountersignCore
import Foundation

/// What a channel's answer, or the lack of one, makes of an attempt: 2xx delivered; 408, 429 and
/// 5xx worth retrying (after the receiver's `Retry-After`, when it gives one); any other answer a
/// refusal of the message itself, which sending it again cannot change (a redirect is not followed:
/// it would carry the routing key or the signed notice somewhere the configuration never named).
///
/// A reason names the channel, never its URL (a Slack webhook URL is the secret), and shows at most
/// the first 200 characters of what the receiver said, with the channel's secrets withheld in case
/// it echoed what it was sent. An audit stream sink's answers are read the same way.
enum ChannelAnswer {
    static let quotedAnswerLength = 200

    static func outcome(status: Int, retryAfter: String?, answer: [UInt8], channel: some AnsweringEndpoint, now: Date) -> DeliveryOutcome {
        // A delivery has no reason to give: the answer is quoted only for a failure.
        switch status {
        case 200..<300:
            return .delivered
        case 408, 429, 500...:
            return .retryable(
                reason: "\(channel.answerName) answered HTTP \(status)\(quote(answer, channel: channel))",
                retryAfter: retryAfter.flatMap { RetryAfter.seconds($0, now: now) }
            )
        default:
            return .rejected(reason: "\(channel.answerName) answered HTTP \(status)\(quote(answer, channel: channel))")
        }
    }

    /// An attempt that got no answer: never connected, cut off, or too slow.
    static func unanswered(_ problem: String, channel: some AnsweringEndpoint) -> DeliveryOutcome {
        .retryable(reason: "\(channel.answerName): \(redacted(problem, channel: channel))", retryAfter: nil)
    }

    /// `: what the receiver said`, or nothing when it said nothing printable.
    static func quote(_ answer: [UInt8], channel: some AnsweringEndpoint) -> String {
        let text = String(decoding: answer.prefix(4 * quotedAnswerLength), as: UTF8.self)
        let printable = String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
        let said = redacted(printable, channel: channel).trimmingCharacters(in: .whitespaces)
        guard !said.isEmpty else { return "" }
        return ": " + (said.count > quotedAnswerLength ? String(said.prefix(quotedAnswerLength)) + "…" : said)
    }

    static func redacted(_ text: String, channel: some AnsweringEndpoint) -> String {
        channel.answerSecrets.reduce(text) { $1.redacting($0) }
    }
}

/// Something that sends over HTTP and reads the answer: a notification channel, an audit stream
/// sink. Reasons name it by `answerName`; `answerSecrets` are withheld from what it is told.
protocol AnsweringEndpoint: Sendable {
    var answerName: String { get }
    var answerSecrets: [ChannelSecret] { get }
}

extension NotificationChannel: AnsweringEndpoint {
    var answerName: String { name.rawValue }
    var answerSecrets: [ChannelSecret] { secrets }
}
