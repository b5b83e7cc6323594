/// Which of the pty's two directions bytes came from.
public enum AsciicastStream: Sendable, Hashable {
    /// What the session printed: "o" events.
    case output
    /// What the user typed: "i" events.
    case input
}

/// Turns the raw bytes the recorder reads from the pty into event lines, appended to a buffer
/// the caller owns (the recorder's hot path: no Foundation, no JSON encoder, no String).
///
/// asciicast data are JSON strings, so text, not bytes: what is recorded is the lossy UTF-8
/// decoding of each stream, exactly as Python's `bytes.decode("utf-8", "replace")` (asciinema's
/// own recorder) and Swift's `String(decoding:as:)` make it. Each maximal ill-formed subpart
/// (Unicode §3.9, "U+FFFD substitution of maximal subparts") becomes one U+FFFD. Bytes that
/// are not UTF-8 are therefore not kept as they were; valid UTF-8 is kept byte for byte.
///
/// A read can end inside a character. Its first bytes are then held back, per stream, until the
/// bytes that complete it arrive in a later call (or show it will never be complete), so the
/// recording is the same however the pty's reads were cut. `flush` writes what is still held
/// back at the end of a session (as U+FFFD, which is what it decodes to).
///
/// Times never go back in what this writes: a time earlier than the last one written is written
/// as the last one, so a clock step cannot make a recording the reader refuses.
public struct AsciicastStreamEncoder: Sendable {
    /// The first bytes of an unfinished character: at most 3.
    struct HeldBack: Sendable {
        var bytes: (UInt8, UInt8, UInt8) = (0, 0, 0)
        var count = 0

        subscript(_ index: Int) -> UInt8 {
            switch index {
            case 0: bytes.0
            case 1: bytes.1
            default: bytes.2
            }
        }

        mutating func append(_ byte: UInt8) {
            switch count {
            case 0: bytes.0 = byte
            case 1: bytes.1 = byte
            default: bytes.2 = byte
            }
            count += 1
        }
    }

    private var heldOutput = HeldBack()
    private var heldInput = HeldBack()
    public private(set) var lastTime = AsciicastTime.zero

    public init() {}

    /// Whether bytes of an unfinished character are held back for `stream`.
    public func isHoldingBack(_ stream: AsciicastStream) -> Bool {
        (stream == .output ? heldOutput : heldInput).count > 0
    }

    /// Appends one event line for `bytes` read from `stream` at `time`, or nothing when all of
    /// them (with what was held back) are still an unfinished character.
    public mutating func encode(_ stream: AsciicastStream, _ bytes: [UInt8], at time: AsciicastTime, into output: inout [UInt8]) {
        bytes.withUnsafeBytes { encode(stream, $0, at: time, into: &output) }
    }

    public mutating func encode(_ stream: AsciicastStream, _ bytes: UnsafeRawBufferPointer, at time: AsciicastTime, into output: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        let time = max(time, lastTime)
        let start = output.count
        // Room for the usual case (a few escapes) in one step; doubling, as appends would, since
        // an exact reservation on a growing buffer would copy it on every call.
        let wanted = start + 40 + bytes.count + bytes.count / 8
        if output.capacity < wanted { output.reserveCapacity(max(wanted, output.capacity * 2)) }
        appendPrefix(stream, time, to: &output)
        let textStart = output.count
        var held = stream == .output ? heldOutput : heldInput
        // Rebound for the call only: the caller's buffer may be bound to CChar (read(2)).
        bytes.withMemoryRebound(to: UInt8.self) { Self.appendText($0, held: &held, to: &output) }
        if stream == .output { heldOutput = held } else { heldInput = held }
        if output.count == textStart {
            // Every byte went to the held-back character: no event yet.
            output.removeSubrange(start...)
            return
        }
        output.append(contentsOf: #""]"#.utf8)
        output.append(UInt8(ascii: "\n"))
        lastTime = time
    }

    /// Writes what is held back of an unfinished character, in either stream, as the U+FFFD it
    /// decodes to; at the end of a session, so that no byte read goes unrecorded.
    public mutating func flush(at time: AsciicastTime, into output: inout [UInt8]) {
        for stream in [AsciicastStream.output, .input] where isHoldingBack(stream) {
            let time = max(time, lastTime)
            appendPrefix(stream, time, to: &output)
            output.append(contentsOf: Self.replacement)
            output.append(contentsOf: #""]"#.utf8)
            output.append(UInt8(ascii: "\n"))
            if stream == .output { heldOutput = HeldBack() } else { heldInput = HeldBack() }
            lastTime = time
        }
    }

    /// Appends a resize event.
    public mutating func resize(_ size: AsciicastSize, at time: AsciicastTime, into output: inout [UInt8]) {
        append(.resize(size), at: time, into: &output)
    }

    /// Appends a marker event with `label` (empty for none).
    public mutating func marker(_ label: String, at time: AsciicastTime, into output: inout [UInt8]) {
        append(.marker(label), at: time, into: &output)
    }

    private mutating func append(_ kind: AsciicastEvent.Kind, at time: AsciicastTime, into output: inout [UInt8]) {
        let time = max(time, lastTime)
        AsciicastEvent(time: time, kind).append(to: &output)
        lastTime = time
    }

    private func appendPrefix(_ stream: AsciicastStream, _ time: AsciicastTime, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "["))
        time.append(to: &output)
        output.append(contentsOf: stream == .output ? #", "o", ""#.utf8 : #", "i", ""#.utf8)
    }

    static let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]

    /// Whether all eight bytes of `word` are ASCII that JSON takes as it is: none has its high
    /// bit set, none is below 0x20, none is `"`, `\` or DEL. Each test is the classic "has a
    /// zero byte" bit trick, which has no false negatives and, for the word as a whole, no false
    /// positives.
    @inline(__always)
    static func isPlainASCII(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasZero(_ value: UInt64) -> UInt64 { (value &- ones) & ~value & highs }
        let below = (word &- ones &* 0x20) & ~word & highs
        let special = hasZero(word ^ (ones &* 0x22)) | hasZero(word ^ (ones &* 0x5C)) | hasZero(word ^ (ones &* 0x7F))
        return (word & highs) | below | special == 0
    }

    /// Appends the escaped lossy decoding of `held` followed by `bytes`, leaving in `held` the
    /// start of a character that `bytes` ends inside of.
    static func appendText(_ bytes: UnsafeBufferPointer<UInt8>, held: inout HeldBack, to output: inout [UInt8]) {
        var index = 0
        let count = bytes.count
        if held.count > 0 {
            // Finish the character begun in an earlier read, or give it up as one U+FFFD.
            let lead = held[0]
            let length = UTF8Sequence.length(lead)
            var have = held.count
            while have < length, index < count {
                let byte = bytes[index]
                let fits = have == 1 ? UTF8Sequence.isSecond(byte, after: lead) : (0x80...0xBF).contains(byte)
                guard fits else { break }
                have += 1
                index += 1
            }
            if have == length {
                for position in 0..<held.count { output.append(held[position]) }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[0..<index]))
                held = HeldBack()
            } else if index == count {
                // Still unfinished (at most 3 bytes in all): keep waiting.
                for position in 0..<index { held.append(bytes[position]) }
                return
            } else {
                output.append(contentsOf: replacement)
                held = HeldBack()
            }
        }
        let escapes = JSONStringEscaping.escapes
        let hexDigits = JSONStringEscaping.hexDigits
        // Escapes and replacements are gathered here and appended in one go: one append per
        // byte made binary output (every byte escaped or replaced) five times slower.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 512) { scratch in
            var filled = 0
            var runStart = index
            @inline(__always) func flushScratch() {
                if filled > 0 {
                    output.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[0..<filled]))
                    filled = 0
                }
            }
            @inline(__always) func flushRun(to end: Int) {
                if end > runStart {
                    flushScratch()
                    output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<end]))
                }
            }
            @inline(__always) func put(_ byte: UInt8) {
                scratch[filled] = byte
                filled += 1
            }
            @inline(__always) func putReplacement() {
                if filled > scratch.count - 8 { flushScratch() }
                put(0xEF)
                put(0xBF)
                put(0xBD)
            }
            let raw = UnsafeRawBufferPointer(bytes)
            while index < count {
                // Eight bytes at a time while they are ASCII that needs no escape: most of a
                // `cat` of text, copied by the run without a look at each byte.
                if index + 8 <= count, isPlainASCII(raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)) {
                    index += 8
                    continue
                }
                let byte = bytes[index]
                if byte < 0x80 {
                    let kind = escapes[Int(byte)]
                    if kind == 0 {
                        index += 1
                        continue
                    }
                    flushRun(to: index)
                    if filled > scratch.count - 8 { flushScratch() }
                    put(UInt8(ascii: "\\"))
                    put(kind)
                    if kind == UInt8(ascii: "u") {
                        put(UInt8(ascii: "0"))
                        put(UInt8(ascii: "0"))
                        put(hexDigits[Int(byte >> 4)])
                        put(hexDigits[Int(byte & 0x0F)])
                    }
                    index += 1
                    runStart = index
                    continue
                }
                let length = UTF8Sequence.length(byte)
                guard length > 0 else {
                    flushRun(to: index)
                    putReplacement()
                    index += 1
                    runStart = index
                    continue
                }
                // Walk the character's bytes; a valid one stays in the run, copied as it is.
                var next = index + 1
                var have = 1
                while have < length, next < count {
                    let following = bytes[next]
                    let fits = have == 1 ? UTF8Sequence.isSecond(following, after: byte) : (0x80...0xBF).contains(following)
                    guard fits else { break }
                    have += 1
                    next += 1
                }
                if have == length {
                    index = next
                    continue
                }
                flushRun(to: index)
                if next == count {
                    // The read ends inside this character: hold its start back for the next.
                    for position in index..<count { held.append(bytes[position]) }
                    index = count
                    runStart = count
                    break
                }
                // A maximal ill-formed subpart: one U+FFFD; the byte that broke it starts afresh.
                putReplacement()
                index = next
                runStart = index
            }
            flushRun(to: count)
            flushScratch()
        }
    }
}
