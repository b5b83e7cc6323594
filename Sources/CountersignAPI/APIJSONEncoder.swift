import Foundation
import Synchronization

/// Writes the API's JSON as `APICoding.makeEncoder()` does — snake_case keys, sorted, times as
/// `APITime`, slashes unescaped, optionals left out — for the server's answers, where Foundation's
/// encoder dominated the cost of a read: it converts every key again on every call and carries
/// strategies the API never uses. Keys are converted once each (`SnakeCaseKeys`); the value is
/// built as a small tree and written in one pass.
public enum APIJSONEncoder {
    public static func encode(_ value: some Encodable) throws -> [UInt8] {
        let encoder = TreeEncoder()
        try encoder.encodeValue(value)
        var output: [UInt8] = []
        output.reserveCapacity(512)
        (encoder.root ?? .null).write(to: &output)
        return output
    }
}

/// A JSON value on its way out. Containers are boxes, so that a nested container handed out
/// before its contents are encoded is filled in place.
private enum Node {
    case null
    case literal(String)
    case string(String)
    case array(ArrayBox)
    case object(ObjectBox)

    static func bool(_ value: Bool) -> Node { .literal(value ? "true" : "false") }
    static func integer(_ value: some BinaryInteger) -> Node { .literal(String(value)) }

    /// A finite number in Swift's shortest round-tripping form; Foundation's encoder refuses
    /// infinities and NaN the same way.
    static func number(_ value: Double, at codingPath: [any CodingKey]) throws -> Node {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "\(value) is not a JSON number"))
        }
        return .literal(value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value))
    }

    func write(to output: inout [UInt8]) {
        switch self {
        case .null:
            output.append(contentsOf: "null".utf8)
        case .literal(let text):
            output.append(contentsOf: text.utf8)
        case .string(let text):
            JSONText.write(text, to: &output)
        case .array(let box):
            output.append(UInt8(ascii: "["))
            for (index, item) in box.items.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                item.write(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let box):
            output.append(UInt8(ascii: "{"))
            // Sorted by key, each key's entries in the order encoded: a key encoded twice keeps
            // its last value, as Foundation's encoder does. Objects have a few dozen keys at
            // most, so sorting positions beats building a dictionary per object.
            let items = box.items
            let order = items.indices.sorted { items[$0].0 == items[$1].0 ? $0 < $1 : items[$0].0 < items[$1].0 }
            var written = 0
            for (position, index) in order.enumerated() {
                let key = items[index].0
                if position + 1 < order.count, items[order[position + 1]].0 == key { continue }
                if written > 0 { output.append(UInt8(ascii: ",")) }
                JSONText.write(key, to: &output)
                output.append(UInt8(ascii: ":"))
                items[index].1.write(to: &output)
                written += 1
            }
            output.append(UInt8(ascii: "}"))
        }
    }
}

private final class ArrayBox {
    var items: [Node] = []
}

private final class ObjectBox {
    var items: [(String, Node)] = []
}

private enum JSONText {
    /// Runs of bytes that need no escape are copied whole: most text needs none.
    static func write(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            var runStart = 0
            for index in bytes.indices where bytes[index] < 0x20 || bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "\\") {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                writeEscaped(bytes[index], to: &output)
                runStart = index + 1
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        }
        output.append(UInt8(ascii: "\""))
    }

    private static func writeEscaped(_ byte: UInt8, to output: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "\""): output.append(contentsOf: #"\""#.utf8)
        case UInt8(ascii: "\\"): output.append(contentsOf: #"\\"#.utf8)
        case 0x0A: output.append(contentsOf: #"\n"#.utf8)
        case 0x0D: output.append(contentsOf: #"\r"#.utf8)
        case 0x09: output.append(contentsOf: #"\t"#.utf8)
        case 0x08: output.append(contentsOf: #"\b"#.utf8)
        case 0x0C: output.append(contentsOf: #"\f"#.utf8)
        case 0x00..<0x20:
            output.append(contentsOf: #"\u00"#.utf8)
            output.append(hexDigit(byte >> 4))
            output.append(hexDigit(byte & 0x0F))
        default:
            output.append(byte)
        }
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }
}

/// Foundation's `convertToSnakeCase`, asked once per key and remembered: keys come from the
/// API's own types, a few dozen in all. A key with no upper-case letter is its own snake case
/// and is not remembered, so dictionary keys from outside never grow the table.
enum SnakeCaseKeys {
    private static let converted = Mutex<[String: String]>([:])
    static let capacity = 1024

    static func convert(_ key: String) -> String {
        guard key.utf8.contains(where: { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || $0 >= 0x80 }) else {
            return key
        }
        if let known = converted.withLock({ $0[key] }) { return known }
        let snake = foundationConversion(key)
        converted.withLock { table in
            if table.count < capacity { table[key] = snake }
        }
        return snake
    }

    /// What Foundation's encoder makes of `key`, read off the encoder itself so the two never
    /// disagree.
    private static func foundationConversion(_ key: String) -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        guard let data = try? encoder.encode(OneKey(key: key)),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Int],
              let snake = object.keys.first else { return key }
        return snake
    }

    /// An object with the one key, through a keyed container: Foundation converts the keys of
    /// those, but not of a `[String: …]` dictionary.
    private struct OneKey: Encodable {
        let key: String

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: NamedKey.self)
            try container.encode(0, forKey: NamedKey(key))
        }
    }

    private struct NamedKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// A dictionary with string keys: its keys are data, written as they are (Foundation's encoder
/// converts only the keys of keyed containers).
private protocol StringKeyedDictionary {
    func node(codingPath: [any CodingKey]) throws -> Node
}

extension Dictionary: StringKeyedDictionary where Key == String, Value: Encodable {
    fileprivate func node(codingPath: [any CodingKey]) throws -> Node {
        let box = ObjectBox()
        for (key, value) in self { box.items.append((key, try TreeEncoder.node(for: value, codingPath: codingPath))) }
        return .object(box)
    }
}

private final class TreeEncoder: Encoder {
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    var root: Node?

    /// Encodes `value` as this encoder's root, with dates in the API's format.
    func encodeValue(_ value: some Encodable) throws {
        root = try Self.node(for: value, codingPath: codingPath)
    }

    /// `codingPath` is only built for a value that needs an encoder of its own: most values of
    /// an answer are strings and times.
    static func node<Value: Encodable>(for value: Value, codingPath: @autoclosure () -> [any CodingKey]) throws -> Node {
        // Comparing the type first spares a failing dynamic cast per value for each kind tried.
        switch ObjectIdentifier(Value.self) {
        case ObjectIdentifier(String.self): if let text = value as? String { return .string(text) }
        case ObjectIdentifier(Date.self): if let date = value as? Date { return .string(APITime.format(date)) }
        case ObjectIdentifier(Bool.self): if let flag = value as? Bool { return .bool(flag) }
        case ObjectIdentifier(Int.self): if let number = value as? Int { return .integer(number) }
        case ObjectIdentifier(Int64.self): if let number = value as? Int64 { return .integer(number) }
        default: break
        }
        if let dictionary = value as? any StringKeyedDictionary { return try dictionary.node(codingPath: codingPath()) }
        let nested = TreeEncoder()
        nested.codingPath = codingPath()
        try value.encode(to: nested)
        return nested.root ?? .object(ObjectBox())
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let box: ObjectBox
        if case .object(let existing) = root {
            box = existing
        } else {
            box = ObjectBox()
            root = .object(box)
        }
        return KeyedEncodingContainer(KeyedContainer<Key>(box: box, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let box: ArrayBox
        if case .array(let existing) = root {
            box = existing
        } else {
            box = ArrayBox()
            root = .array(box)
        }
        return UnkeyedContainer(box: box, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleValueContainer(encoder: self)
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: ObjectBox
    let codingPath: [any CodingKey]

    private func put(_ node: Node, _ key: Key) {
        box.items.append((SnakeCaseKeys.convert(key.stringValue), node))
    }

    mutating func encodeNil(forKey key: Key) throws { put(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { put(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { put(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { put(try .number(value, at: codingPath + [key]), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { put(try .number(Double(value), at: codingPath + [key]), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { put(.integer(value), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { put(.integer(value), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { put(.integer(value), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { put(.integer(value), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { put(.integer(value), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { put(.integer(value), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { put(.integer(value), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { put(.integer(value), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { put(.integer(value), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { put(.integer(value), key) }

    mutating func encode(_ value: some Encodable, forKey key: Key) throws {
        put(try TreeEncoder.node(for: value, codingPath: codingPath + [key]), key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let nested = ObjectBox()
        put(.object(nested), key)
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(box: nested, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = ArrayBox()
        put(.array(nested), key)
        return UnkeyedContainer(box: nested, codingPath: codingPath + [key])
    }

    /// A superclass's part, as an object under "super" (no API type is a class; this keeps the
    /// encoder whole).
    mutating func superEncoder() -> any Encoder { superEncoder(named: "super", codingPath: codingPath) }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        superEncoder(named: SnakeCaseKeys.convert(key.stringValue), codingPath: codingPath + [key])
    }

    private func superEncoder(named name: String, codingPath: [any CodingKey]) -> any Encoder {
        let nested = ObjectBox()
        box.items.append((name, .object(nested)))
        let encoder = TreeEncoder()
        encoder.codingPath = codingPath
        encoder.root = .object(nested)
        return encoder
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let box: ArrayBox
    let codingPath: [any CodingKey]
    var count: Int { box.items.count }

    mutating func encodeNil() throws { box.items.append(.null) }
    mutating func encode(_ value: Bool) throws { box.items.append(.bool(value)) }
    mutating func encode(_ value: String) throws { box.items.append(.string(value)) }
    mutating func encode(_ value: Double) throws { box.items.append(try .number(value, at: codingPath)) }
    mutating func encode(_ value: Float) throws { box.items.append(try .number(Double(value), at: codingPath)) }
    mutating func encode(_ value: Int) throws { box.items.append(.integer(value)) }
    mutating func encode(_ value: Int8) throws { box.items.append(.integer(value)) }
    mutating func encode(_ value: Int16) throws { box.items.append(.integer(value)) }
    mutating func encode(_ value: Int32) throws { box.items.append(.integer(value)) }
    mutating func encode(_ value: Int64) throws { box.items.append(.integer(value)) }
    mutating func encode(_ value: UInt) throws { box.items.append(.integer(value)) }
    mutating func encode(_ value: UInt8) throws { box.items.append(.integer(value)) }
    mutating func encode(_ value: UInt16) throws { box.items.append(.integer(value)) }
    mutating func encode(_ value: UInt32) throws { box.items.append(.integer(value)) }
    mutating func encode(_ value: UInt64) throws { box.items.append(.integer(value)) }

    mutating func encode(_ value: some Encodable) throws {
        box.items.append(try TreeEncoder.node(for: value, codingPath: codingPath))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = ObjectBox()
        box.items.append(.object(nested))
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(box: nested, codingPath: codingPath))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = ArrayBox()
        box.items.append(.array(nested))
        return UnkeyedContainer(box: nested, codingPath: codingPath)
    }

    mutating func superEncoder() -> any Encoder {
        let nested = ObjectBox()
        box.items.append(.object(nested))
        let encoder = TreeEncoder()
        encoder.codingPath = codingPath
        encoder.root = .object(nested)
        return encoder
    }
}

private struct SingleValueContainer: SingleValueEncodingContainer {
    let encoder: TreeEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }

    mutating func encodeNil() throws { encoder.root = .null }
    mutating func encode(_ value: Bool) throws { encoder.root = .bool(value) }
    mutating func encode(_ value: String) throws { encoder.root = .string(value) }
    mutating func encode(_ value: Double) throws { encoder.root = try .number(value, at: codingPath) }
    mutating func encode(_ value: Float) throws { encoder.root = try .number(Double(value), at: codingPath) }
    mutating func encode(_ value: Int) throws { encoder.root = .integer(value) }
    mutating func encode(_ value: Int8) throws { encoder.root = .integer(value) }
    mutating func encode(_ value: Int16) throws { encoder.root = .integer(value) }
    mutating func encode(_ value: Int32) throws { encoder.root = .integer(value) }
    mutating func encode(_ value: Int64) throws { encoder.root = .integer(value) }
    mutating func encode(_ value: UInt) throws { encoder.root = .integer(value) }
    mutating func encode(_ value: UInt8) throws { encoder.root = .integer(value) }
    mutating func encode(_ value: UInt16) throws { encoder.root = .integer(value) }
    mutating func encode(_ value: UInt32) throws { encoder.root = .integer(value) }
    mutating func encode(_ value: UInt64) throws { encoder.root = .integer(value) }
    mutating func encode(_ value: some Encodable) throws { encoder.root = try TreeEncoder.node(for: value, codingPath: codingPath) }
}
