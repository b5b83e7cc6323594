import Crypto

/// A signature header: `<scheme>=<hex HMAC-SHA256>` entries separated by commas, several while a
/// secret is rotated. The gateway's own webhooks carry one (`Countersign-Signature`), and so do
/// PagerDuty's (`X-PagerDuty-Signature`), over different messages.
public enum SignatureHeader {
    /// The 32-byte codes of `header`'s entries of `scheme`; others are ignored.
    public static func codes(in header: String, scheme: String = "v1") -> [[UInt8]] {
        header.split(separator: ",").compactMap { entry -> [UInt8]? in
            let parts = entry.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0] == scheme else { return nil }
            return hexBytes(parts[1])
        }
    }

    /// Whether one of `codes` is the HMAC-SHA256 of `message` under one of `keys`. Every pair is
    /// checked, each in constant time: how long this takes says nothing about how much of any of
    /// them was right.
    public static func matches(_ codes: [[UInt8]], message: [UInt8], keys: [SymmetricKey]) -> Bool {
        keys.reduce(false) { found, key in
            codes.reduce(false) { found, code in HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: message, using: key) || found } || found
        }
    }

    /// The 32 bytes that 64 hex digits spell, or nil.
    static func hexBytes(_ text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count == 2 * SHA256.byteCount else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(SHA256.byteCount)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
