/// UTF-8 well-formedness after Unicode Table 3-7, shared by the stream encoder (which copies
/// valid bytes) and the lossy decoder (which makes scalars).
enum UTF8Sequence {
    /// How many bytes a character starting with `lead` has, or 0 if `lead` starts none.
    @inline(__always)
    static func length(_ lead: UInt8) -> Int {
        switch lead {
        case 0xC2...0xDF: 2
        case 0xE0...0xEF: 3
        case 0xF0...0xF4: 4
        default: 0
        }
    }

    /// Whether `byte` may follow `lead` as its character's second byte: no overlong forms, no
    /// surrogates, nothing past U+10FFFF. Later bytes are any of 80...BF.
    @inline(__always)
    static func isSecond(_ byte: UInt8, after lead: UInt8) -> Bool {
        switch lead {
        case 0xE0: (0xA0...0xBF).contains(byte)
        case 0xED: (0x80...0x9F).contains(byte)
        case 0xF0: (0x90...0xBF).contains(byte)
        case 0xF4: (0x80...0x8F).contains(byte)
        default: (0x80...0xBF).contains(byte)
        }
    }
}

/// Decodes UTF-8 that arrives in pieces into scalars, lossily as `String(decoding:as:)` does
/// (one U+FFFD per maximal ill-formed subpart), holding the start of a character cut by the end
/// of a piece until the next one.
struct UTF8LossyDecoder: Sendable {
    private var pending: UInt32 = 0
    private var lead: UInt8 = 0
    private var have = 0
    private var need = 0

    init() {}

    var isHoldingBack: Bool { need > 0 }

    mutating func decode(_ byte: UInt8, _ emit: (Unicode.Scalar) -> Void) {
        if need > 0 {
            let fits = have == 1 ? UTF8Sequence.isSecond(byte, after: lead) : (0x80...0xBF).contains(byte)
            if fits {
                pending = pending << 6 | UInt32(byte & 0x3F)
                have += 1
                if have == need {
                    need = 0
                    emit(Unicode.Scalar(pending) ?? "\u{FFFD}")
                }
                return
            }
            need = 0
            emit("\u{FFFD}")
        }
        if byte < 0x80 {
            emit(Unicode.Scalar(byte))
            return
        }
        let length = UTF8Sequence.length(byte)
        guard length > 0 else { return emit("\u{FFFD}") }
        lead = byte
        have = 1
        need = length
        pending = UInt32(byte) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
    }

    /// Ends the input: a character left unfinished is one U+FFFD.
    mutating func finish(_ emit: (Unicode.Scalar) -> Void) {
        if need > 0 {
            need = 0
            emit("\u{FFFD}")
        }
    }
}
