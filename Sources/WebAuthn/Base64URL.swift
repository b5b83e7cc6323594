/// base64url without padding (RFC 4648 §5), as WebAuthn writes challenges and credential ids.
/// Written out rather than through Foundation's base64 plus string replacements, which took a
/// third of an assertion's verification time (`make bench`).
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = UInt8(index) }
        return table
    }()

    public static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= bytes.count {
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            output += [alphabet[Int(chunk >> 18)], alphabet[Int(chunk >> 12 & 0x3F)], alphabet[Int(chunk >> 6 & 0x3F)], alphabet[Int(chunk & 0x3F)]]
            index += 3
        }
        switch bytes.count - index {
        case 1:
            let chunk = UInt32(bytes[index]) << 16
            output += [alphabet[Int(chunk >> 18)], alphabet[Int(chunk >> 12 & 0x3F)]]
        case 2:
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            output += [alphabet[Int(chunk >> 18)], alphabet[Int(chunk >> 12 & 0x3F)], alphabet[Int(chunk >> 6 & 0x3F)]]
        default:
            break
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Nil for anything but unpadded base64url: padding, `+`, `/`, whitespace, a dangling
    /// character or non-zero unused bits are refused, so one value has exactly one spelling.
    public static func decode(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count % 4 != 1 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(characters.count * 3 / 4)
        var chunk: UInt32 = 0
        var count = 0
        for character in characters {
            let value = values[Int(character)]
            guard value != 0xFF else { return nil }
            chunk = chunk << 6 | UInt32(value)
            count += 1
            if count == 4 {
                output += [UInt8(chunk >> 16), UInt8(chunk >> 8 & 0xFF), UInt8(chunk & 0xFF)]
                chunk = 0
                count = 0
            }
        }
        switch count {
        case 2:
            guard chunk & 0xF == 0 else { return nil }
            output.append(UInt8(chunk >> 4))
        case 3:
            guard chunk & 0x3 == 0 else { return nil }
            output += [UInt8(chunk >> 10), UInt8(chunk >> 2 & 0xFF)]
        default:
            break
        }
        return output
    }
}
