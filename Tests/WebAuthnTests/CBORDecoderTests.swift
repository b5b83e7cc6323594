@testable import WebAuthn
import Testing

@Suite("The strict CBOR decoder")
struct CBORDecoderTests {
    struct Accepted: CustomTestStringConvertible {
        let hex: String
        let value: CBORValue
        var testDescription: String { hex }
    }

    static let accepted: [Accepted] = [
        Accepted(hex: "00", value: .unsigned(0)),
        Accepted(hex: "17", value: .unsigned(23)),
        Accepted(hex: "1818", value: .unsigned(24)),
        Accepted(hex: "1903e8", value: .unsigned(1000)),
        Accepted(hex: "1b000000e8d4a51000", value: .unsigned(1_000_000_000_000)),
        Accepted(hex: "1bffffffffffffffff", value: .unsigned(.max)),
        Accepted(hex: "20", value: .negative(0)),
        Accepted(hex: "26", value: .negative(6)),
        Accepted(hex: "3863", value: .negative(99)),
        Accepted(hex: "40", value: .bytes([])),
        Accepted(hex: "4401020304", value: .bytes([1, 2, 3, 4])),
        Accepted(hex: "6449455446", value: .text("IETF")),
        Accepted(hex: "62c3bc", value: .text("ü")),
        Accepted(hex: "83010203", value: .array([.unsigned(1), .unsigned(2), .unsigned(3)])),
        Accepted(hex: "a201020304", value: .map([CBORMapEntry(key: .unsigned(1), value: .unsigned(2)), CBORMapEntry(key: .unsigned(3), value: .unsigned(4))])),
        // Length-first order: 10 (0x0a) and -1 (0x20) are one byte and sort bytewise; 100 (0x1864) is two.
        Accepted(hex: "a30a012002186403", value: .map([
            CBORMapEntry(key: .unsigned(10), value: .unsigned(1)),
            CBORMapEntry(key: .negative(0), value: .unsigned(2)),
            CBORMapEntry(key: .unsigned(100), value: .unsigned(3)),
        ])),
        Accepted(hex: "f4", value: .bool(false)),
        Accepted(hex: "f5", value: .bool(true)),
        Accepted(hex: "f6", value: .null),
    ]

    @Test("well-formed canonical items decode to their values", arguments: accepted)
    func decodes(_ row: Accepted) throws {
        #expect(try CBORDecoder.decode([UInt8](hex: row.hex)) == row.value)
    }

    @Test("COSE key labels sort length-first then bytewise: 1, 3, -1, -2, -3")
    func coseOrder() throws {
        let value = try CBORDecoder.decode([UInt8](hex: "a5010203262001215820" + String(repeating: "00", count: 32) + "225820" + String(repeating: "00", count: 32)))
        #expect(value[1] == .unsigned(2))
        #expect(value[-3] == .bytes([UInt8](repeating: 0, count: 32)))
    }

    struct Refused: CustomTestStringConvertible {
        let hex: String
        let why: String
        var testDescription: String { "\(why): \(hex)" }
    }

    static let refused: [Refused] = [
        Refused(hex: "", why: "empty input"),
        Refused(hex: "1817", why: "a one-byte integer that fits in the initial byte"),
        Refused(hex: "190017", why: "a two-byte integer that fits in one"),
        Refused(hex: "1a0000ffff", why: "a four-byte integer that fits in two"),
        Refused(hex: "1b00000000ffffffff", why: "an eight-byte integer that fits in four"),
        Refused(hex: "5801ff", why: "a byte-string length that fits in the initial byte"),
        Refused(hex: "1c", why: "reserved additional information 28"),
        Refused(hex: "5f4101ff", why: "an indefinite-length byte string"),
        Refused(hex: "9f01ff", why: "an indefinite-length array"),
        Refused(hex: "bf0102ff", why: "an indefinite-length map"),
        Refused(hex: "c11a514b67b0", why: "a tag"),
        Refused(hex: "f93c00", why: "a half-precision float"),
        Refused(hex: "fb3ff199999999999a", why: "a double"),
        Refused(hex: "f7", why: "undefined"),
        Refused(hex: "f0", why: "an unassigned simple value"),
        Refused(hex: "a203040102", why: "map keys out of order"),
        Refused(hex: "a2200101", why: "-1 (0x20) before 1 (0x01)"),
        Refused(hex: "a21864010a02", why: "a two-byte key before a one-byte key"),
        Refused(hex: "a201020103", why: "a repeated key"),
        Refused(hex: "4501020304", why: "a byte string longer than the input"),
        Refused(hex: "5bffffffffffffffff00", why: "a byte string of 2^64-1 bytes"),
        Refused(hex: "9bffffffffffffffff", why: "an array claiming 2^64-1 elements"),
        Refused(hex: "ba7fffffff", why: "a map claiming 2^31 entries"),
        Refused(hex: "62c328", why: "text that is not UTF-8"),
        Refused(hex: "0000", why: "a trailing byte"),
        Refused(hex: String(repeating: "81", count: 9) + "00", why: "nesting nine deep"),
        Refused(hex: "8301", why: "an array cut short"),
    ]

    @Test("malformed or non-canonical input is refused, never trusted", arguments: refused)
    func refuses(_ row: Refused) {
        let error = #expect(throws: WebAuthnError.self) { try CBORDecoder.decode([UInt8](hex: row.hex)) }
        #expect(error?.code == .malformedCBOR)
    }

    @Test("nesting up to the bound decodes")
    func depthBound() throws {
        let nested = String(repeating: "81", count: CBORDecoder.maximumDepth) + "00"
        #expect(throws: Never.self) { try CBORDecoder.decode([UInt8](hex: nested)) }
    }

    @Test("a prefix decode reports how many bytes the item took")
    func prefix() throws {
        let (value, consumed) = try CBORDecoder.decodePrefix([UInt8](hex: "a1016161ffee"))
        #expect(value[1] == .text("a"))
        #expect(consumed == 4)
    }
}
