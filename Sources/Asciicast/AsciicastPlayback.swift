/// What a terminal player writes and when: each output event's text after the pause before it,
/// scaled by the speed and capped by the idle limit (as `asciinema play -s` and `-i` do), so a
/// session with an hour of silence plays back without it. Input, resize and marker events are
/// not written: the terminal already echoed what was typed.
public struct AsciicastPlayback: Sendable {
    public static let speedRange = 0.1...100.0
    public static let idleLimitRange = 0.1...3600.0

    public struct Step: Hashable, Sendable {
        /// Microseconds to wait before writing `text`.
        public let pause: Int64
        public let text: String
    }

    public let steps: [Step]

    public init(recording: AsciicastFile, speed: Double = 1, idleLimit: Double? = nil) throws(AsciicastFormatError) {
        guard Self.speedRange.contains(speed) else {
            throw AsciicastFormatError(.invalidField, "the speed is between \(Self.speedRange.lowerBound) and \(Self.speedRange.upperBound)")
        }
        if let idleLimit, !Self.idleLimitRange.contains(idleLimit) {
            throw AsciicastFormatError(.invalidField, "the idle limit is between \(Self.idleLimitRange.lowerBound) and \(Self.idleLimitRange.upperBound) seconds")
        }
        // The recording's own idle limit applies when none is asked for, as asciinema does.
        let cap = idleLimit.map { Int64($0 * 1_000_000) } ?? recording.header.idleTimeLimit?.microseconds
        var steps: [Step] = []
        var previous: Int64 = 0
        for event in recording.events {
            guard case .output(let text) = event.kind else { continue }
            var pause = max(0, event.time.microseconds - previous)
            previous = event.time.microseconds
            if let cap { pause = min(pause, cap) }
            steps.append(Step(pause: Int64((Double(pause) / speed).rounded()), text: text))
        }
        self.steps = steps
    }
}
