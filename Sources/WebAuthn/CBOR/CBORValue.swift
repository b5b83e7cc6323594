/// A CBOR data item (RFC 8949) of the kinds WebAuthn uses: major types 0–5 and the simple values
/// false, true and null. Maps keep their (canonical) order.
public indirect enum CBORValue: Hashable, Sendable {
    case unsigned(UInt64)
    /// The integer −1 − n, stored as n so the whole range of major type 1 fits.
    case negative(UInt64)
    case bytes([UInt8])
    case text(String)
    case array([CBORValue])
    case map([CBORMapEntry])
    case bool(Bool)
    case null

    /// The value as a Swift integer, if it is an integer that fits.
    public var integer: Int64? {
        switch self {
        case .unsigned(let value): value <= UInt64(Int64.max) ? Int64(value) : nil
        case .negative(let value): value <= UInt64(Int64.max) ? -1 - Int64(value) : nil
        default: nil
        }
    }

    /// The value stored under `key` when this is a map.
    public subscript(key: CBORValue) -> CBORValue? {
        guard case .map(let entries) = self else { return nil }
        return entries.first { $0.key == key }?.value
    }

    public subscript(key: String) -> CBORValue? { self[.text(key)] }

    public subscript(key: Int64) -> CBORValue? {
        self[key >= 0 ? .unsigned(UInt64(key)) : .negative(UInt64(-1 - key))]
    }
}

public struct CBORMapEntry: Hashable, Sendable {
    public let key: CBORValue
    public let value: CBORValue
}
