/// The first line of a recording (asciicast v2 §"Header"): a JSON object with the version, the
/// initial terminal size and the session's metadata.
///
/// Of the environment only `SHELL` and `TERM` are kept, as asciinema captures by default: other
/// variables can hold secrets, and nothing here needs them. Fields the spec lists that we do
/// not use (`duration`, `theme`) and keys it does not list are read past and not kept.
public struct AsciicastHeader: Hashable, Sendable {
    public static let version = 2
    /// Bytes of UTF-8 in the command, the title, and each environment value.
    public static let maximumTextLength = 4096
    /// The last second of the year 9999: later timestamps are garbage.
    public static let maximumTimestamp: Int64 = 253_402_300_799

    /// The initial terminal size: `width` columns by `height` rows.
    public let size: AsciicastSize
    /// Unix seconds of the session's start.
    public let timestamp: Int64?
    /// A player shortens every pause to at most this.
    public let idleTimeLimit: AsciicastTime?
    /// What was run, as given to the recorder.
    public let command: String?
    public let title: String?
    public let shell: String?
    public let term: String?

    public var width: Int { size.columns }
    public var height: Int { size.rows }

    public init(
        size: AsciicastSize, timestamp: Int64? = nil, idleTimeLimit: AsciicastTime? = nil, command: String? = nil,
        title: String? = nil, shell: String? = nil, term: String? = nil
    ) throws(AsciicastFormatError) {
        if let timestamp {
            guard (0...Self.maximumTimestamp).contains(timestamp) else {
                throw AsciicastFormatError(.invalidField, "a timestamp is Unix seconds from 1970 to the year 9999")
            }
        }
        for (name, text) in [("command", command), ("title", title), ("SHELL", shell), ("TERM", term)] {
            guard let text else { continue }
            guard text.utf8.count <= Self.maximumTextLength else {
                throw AsciicastFormatError(.tooLong, "the \(name) is longer than \(Self.maximumTextLength) bytes")
            }
        }
        self.size = size
        self.timestamp = timestamp
        self.idleTimeLimit = idleTimeLimit
        self.command = command
        self.title = title
        self.shell = shell
        self.term = term
    }

    /// The header as one line of JSON, newline included, its keys in the order asciinema writes
    /// them and with its spacing: `{"version": 2, "width": 80, "height": 24, …}`.
    public func jsonLine() -> [UInt8] {
        var line: [UInt8] = []
        line.append(contentsOf: #"{"version": 2, "width": "#.utf8)
        line.append(contentsOf: String(size.columns).utf8)
        line.append(contentsOf: #", "height": "#.utf8)
        line.append(contentsOf: String(size.rows).utf8)
        if let timestamp {
            line.append(contentsOf: #", "timestamp": "#.utf8)
            line.append(contentsOf: String(timestamp).utf8)
        }
        if let idleTimeLimit {
            line.append(contentsOf: #", "idle_time_limit": "#.utf8)
            idleTimeLimit.append(to: &line)
        }
        if let command {
            line.append(contentsOf: #", "command": "#.utf8)
            JSONStringEscaping.appendString(command, to: &line)
        }
        if let title {
            line.append(contentsOf: #", "title": "#.utf8)
            JSONStringEscaping.appendString(title, to: &line)
        }
        let environment = [("SHELL", shell), ("TERM", term)].compactMap { name, value in value.map { (name, $0) } }
        if !environment.isEmpty {
            line.append(contentsOf: #", "env": {"#.utf8)
            for (position, (name, value)) in environment.enumerated() {
                if position > 0 { line.append(contentsOf: ", ".utf8) }
                JSONStringEscaping.appendString(name, to: &line)
                line.append(contentsOf: ": ".utf8)
                JSONStringEscaping.appendString(value, to: &line)
            }
            line.append(UInt8(ascii: "}"))
        }
        line.append(contentsOf: "}\n".utf8)
        return line
    }

    /// Reads a header line (without its newline, or with it: JSON whitespace is allowed).
    /// `null` stands for an absent optional field, as asciinema writes `"TERM": null` when the
    /// variable was not set.
    public init(jsonLine bytes: some Collection<UInt8>) throws(AsciicastFormatError) {
        guard case .object(let members) = try JSONValue.parse(bytes) else {
            throw AsciicastFormatError(.malformed, "the header is a JSON object")
        }
        func member(_ key: String) -> JSONValue? {
            members.first { $0.key == key }.flatMap { $0.value == .null ? nil : $0.value }
        }
        func integer(_ key: String) throws(AsciicastFormatError) -> Int64? {
            guard let value = member(key) else { return nil }
            guard case .number(let text) = value, let number = JSONNumberText(text)?.integer else {
                throw AsciicastFormatError(.invalidField, "the header's \(key) is a whole number")
            }
            return number
        }
        func text(_ value: JSONValue?, _ key: String) throws(AsciicastFormatError) -> String? {
            guard let value else { return nil }
            guard case .string(let text) = value else { throw AsciicastFormatError(.invalidField, "the header's \(key) is a string") }
            return text
        }
        guard let version = try integer("version") else { throw AsciicastFormatError(.unsupportedVersion, "the header has no version") }
        guard version == Int64(Self.version) else {
            throw AsciicastFormatError(.unsupportedVersion, "only asciicast version 2 is read, not \(version)")
        }
        guard let width = try integer("width"), let height = try integer("height") else {
            throw AsciicastFormatError(.invalidField, "the header has a width and a height")
        }
        guard let columns = Int(exactly: width), let rows = Int(exactly: height) else {
            throw AsciicastFormatError(.invalidField, "the header's size is out of bounds")
        }
        let idleTimeLimit: AsciicastTime?
        switch member("idle_time_limit") {
        case nil: idleTimeLimit = nil
        case .number(let text)?: idleTimeLimit = try AsciicastTime(jsonNumber: text)
        default: throw AsciicastFormatError(.invalidField, "the header's idle_time_limit is a number of seconds")
        }
        var environment: [(key: String, value: JSONValue)] = []
        if let env = member("env") {
            guard case .object(let variables) = env else { throw AsciicastFormatError(.invalidField, "the header's env is an object") }
            environment = variables
        }
        func variable(_ name: String) throws(AsciicastFormatError) -> String? {
            try text(environment.first { $0.key == name }.flatMap { $0.value == .null ? nil : $0.value }, "env \(name)")
        }
        try self.init(
            size: AsciicastSize(columns: columns, rows: rows), timestamp: integer("timestamp"), idleTimeLimit: idleTimeLimit,
            command: text(member("command"), "command"), title: text(member("title"), "title"),
            shell: variable("SHELL"), term: variable("TERM")
        )
    }
}
