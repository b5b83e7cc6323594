/// How strings are written into asciicast lines: a JSON string (RFC 8259 §7) with the UTF-8 of
/// the text as it is, except `"` and `\`, and the C0 controls and DEL, which are escaped. The
/// short escapes are used where JSON has them (`\n`, `\r`, `\t`, `\b`, `\f`), `\u00XX`
/// otherwise (so ESC is `\u001b`, as asciinema writes it). DEL is escaped although JSON does
/// not require it, so that a recording shows no raw control byte to whoever opens it.
///
/// The same rules are written twice: here over the bytes of a String, and inside
/// `AsciicastStreamEncoder`'s loop over raw pty bytes; tests hold the two to the same output.
enum JSONStringEscaping {
    /// For each byte: 0 copies it as it is; anything else is the byte after the backslash
    /// (`u` for the six-byte form).
    static let escapes: [UInt8] = (0...255).map { (byte: Int) -> UInt8 in
        switch byte {
        case 0x22: UInt8(ascii: "\"")
        case 0x5C: UInt8(ascii: "\\")
        case 0x08: UInt8(ascii: "b")
        case 0x0C: UInt8(ascii: "f")
        case 0x0A: UInt8(ascii: "n")
        case 0x0D: UInt8(ascii: "r")
        case 0x09: UInt8(ascii: "t")
        case 0x00..<0x20, 0x7F: UInt8(ascii: "u")
        default: 0
        }
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends the escape of one byte that `escapes` marks.
    @inline(__always)
    static func appendEscape(of byte: UInt8, kind: UInt8, to output: inout [UInt8]) {
        if kind == UInt8(ascii: "u") {
            output.append(UInt8(ascii: "\\"))
            output.append(UInt8(ascii: "u"))
            output.append(UInt8(ascii: "0"))
            output.append(UInt8(ascii: "0"))
            output.append(hexDigits[Int(byte >> 4)])
            output.append(hexDigits[Int(byte & 0x0F)])
        } else {
            output.append(UInt8(ascii: "\\"))
            output.append(kind)
        }
    }

    /// Appends `text` as a JSON string, quotes included.
    static func appendString(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            let kind = escapes[Int(byte)]
            if kind == 0 {
                output.append(byte)
            } else {
                appendEscape(of: byte, kind: kind, to: &output)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
