/// Finds text in a recording, case-insensitively: in what the user typed (`TypedLines`) and in
/// what they saw (`Transcript`), answering each matching line with where in the session it was.
public struct TranscriptSearch: Sendable {
    public static let maximumQueryLength = 256

    public struct Match: Hashable, Sendable {
        public enum Kind: String, Hashable, Sendable {
            case typed
            case output
        }

        public let kind: Kind
        /// When the line was typed (Enter pressed) or last written to the screen.
        public let time: AsciicastTime
        public let text: String

        public init(kind: Kind, time: AsciicastTime, text: String) {
            self.kind = kind
            self.time = time
            self.text = text
        }
    }

    private let typed: [(line: TranscriptLine, folded: [UInt8])]
    private let output: [(line: TranscriptLine, folded: [UInt8])]

    public init(typed: TypedLines, transcript: Transcript) {
        self.typed = typed.lines.map { ($0, Self.fold($0.text)) }
        output = transcript.lines.map { ($0, Self.fold($0.text)) }
    }

    public init(recording: AsciicastFile) {
        self.init(typed: TypedLines(recording: recording), transcript: Transcript(recording: recording))
    }

    /// Every line holding `query`, typed lines first, each kind in session order; at most
    /// `limit` of them.
    public func matches(_ query: String, limit: Int = 1000) throws(AsciicastFormatError) -> [Match] {
        guard !query.isEmpty, query.count <= Self.maximumQueryLength else {
            throw AsciicastFormatError(.invalidQuery, "a query is 1 to \(Self.maximumQueryLength) characters")
        }
        let needle = Self.fold(query)
        var found: [Match] = []
        for (kind, lines) in [(Match.Kind.typed, typed), (.output, output)] {
            for (line, folded) in lines where Self.contains(folded, needle) {
                guard found.count < limit else { return found }
                found.append(Match(kind: kind, time: line.time, text: line.text))
            }
        }
        return found
    }

    /// Case folded the simple way, Unicode's lowercase mapping ("ÄRGER" finds "ärger"), and
    /// compared as UTF-8: a match is a run of the line's bytes, whatever the characters around it.
    static func fold(_ text: String) -> [UInt8] {
        Array(text.lowercased().utf8)
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, needle.count <= haystack.count else { return needle.isEmpty }
        var index = 0
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first, haystack[index..<(index + needle.count)].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }
}
