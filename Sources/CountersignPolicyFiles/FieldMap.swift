import Yams

/// A YAML mapping's entries by key, read after its keys were checked against those its section
/// allows. Unknown keys are errors rather than ignored: a misspelt `hardware_kye: false` must not
/// quietly leave the default in force, nor `requestors:` leave a rule nobody can use.
struct FieldMap {
    struct Entry {
        let keyPosition: SourcePosition
        let value: Node
    }

    /// Where the mapping starts: where a missing key is reported.
    let position: SourcePosition
    private let entries: [String: Entry]

    fileprivate init(position: SourcePosition, entries: [String: Entry]) {
        self.position = position
        self.entries = entries
    }

    subscript(key: String) -> Node? { entries[key]?.value }

    func keyPosition(_ key: String) -> SourcePosition {
        entries[key]?.keyPosition ?? position
    }

    /// The value of `key` unless it is absent or written as null (`key:` with nothing after it).
    func present(_ key: String) -> Node? {
        guard let value = entries[key]?.value, !value.isNull else { return nil }
        return value
    }
}

extension DiagnosticLog {
    /// Reads `node` as the mapping of a section (`what` names it for messages: "a rule").
    /// Reports every key not in `allowed` and every `required` key that is absent or empty.
    mutating func fields(
        of node: Node, _ what: String, allowed: [String], required: [String] = [], hints: [String: String] = [:]
    ) -> FieldMap? {
        guard case .mapping(let mapping) = node else {
            error(.badValue, at: SourcePosition(of: node), "expected \(what) (a mapping of keys to values), found \(node.summary)")
            return nil
        }
        var entries: [String: FieldMap.Entry] = [:]
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                error(.badValue, at: SourcePosition(of: key), "keys of \(what) must be plain words, found \(key.summary)")
                continue
            }
            let name = scalar.string
            guard allowed.contains(name) else {
                var message = "unknown key '\(name)' in \(what)"
                if let hint = hints[name] {
                    message += "; \(hint)"
                } else if let suggestion = KeySuggestion.closest(to: name, among: allowed) {
                    message += "; did you mean '\(suggestion)'?"
                }
                message += " (allowed: \(allowed.joined(separator: ", ")))"
                error(.unknownKey, at: SourcePosition(of: key), message)
                continue
            }
            entries[name] = FieldMap.Entry(keyPosition: SourcePosition(of: key), value: value)
        }
        let map = FieldMap(position: SourcePosition(of: node), entries: entries)
        for key in required where map.present(key) == nil {
            if map[key] != nil {
                error(.missingKey, at: map.keyPosition(key), "'\(key)' in \(what) has no value")
            } else {
                error(.missingKey, at: map.position, "\(what) needs '\(key)'")
            }
        }
        return map
    }

    /// Any scalar that is not null, as written.
    mutating func text(_ node: Node, _ field: String, maximumLength: Int = 1_000) -> String? {
        guard case .scalar(let scalar) = node, !node.isNull else {
            error(.badValue, at: SourcePosition(of: node), "'\(field)' must be a text value, not \(node.summary)")
            return nil
        }
        guard scalar.string.count <= maximumLength else {
            error(.badValue, at: SourcePosition(of: node), "'\(field)' must be at most \(maximumLength) characters")
            return nil
        }
        return scalar.string
    }

    /// An unquoted whole number within `range`.
    mutating func integer(_ node: Node, _ field: String, range: ClosedRange<Int>) -> Int? {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any,
              scalar.string.utf8.count <= 9, scalar.string.utf8.allSatisfy({ (48...57).contains($0) }),
              let value = Int(scalar.string), range.contains(value)
        else {
            error(.badValue, at: SourcePosition(of: node), "'\(field)' must be a whole number from \(range.lowerBound) to \(range.upperBound), not \(node.summary)")
            return nil
        }
        return value
    }

    /// `true` or `false`, unquoted. YAML 1.1's yes/no/on/off are refused: `hardware_key: no`
    /// would read one way to a person and another way to a parser.
    mutating func boolean(_ node: Node, _ field: String) -> Bool? {
        if case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any {
            switch scalar.string {
            case "true", "True", "TRUE": return true
            case "false", "False", "FALSE": return false
            default: break
            }
        }
        error(.badValue, at: SourcePosition(of: node), "'\(field)' must be true or false, not \(node.summary)")
        return nil
    }

    mutating func list(_ node: Node, _ field: String) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            error(.badValue, at: SourcePosition(of: node), "'\(field)' must be a list (`[a, b]` or one `- item` per line), not \(node.summary)")
            return nil
        }
        return Array(sequence)
    }

    /// A list of text values with the place of each; nil if the node is not a list. Elements that
    /// are not text are reported and left out.
    mutating func textList(_ node: Node, _ field: String) -> [(text: String, position: SourcePosition)]? {
        guard let elements = list(node, field) else { return nil }
        return elements.compactMap { element in
            text(element, "an entry of \(field)").map { ($0, SourcePosition(of: element)) }
        }
    }

    /// A duration such as `30m` or `4h`, within `range` seconds.
    mutating func duration(_ node: Node, _ field: String, range: ClosedRange<Int>) -> Int? {
        guard case .scalar(let scalar) = node, let seconds = PolicyDuration.seconds(from: scalar.string) else {
            error(.badDuration, at: SourcePosition(of: node), "'\(field)' must be a duration such as 90s, 30m, 4h or 2d, not \(node.summary)")
            return nil
        }
        guard range.contains(seconds) else {
            error(.badDuration, at: SourcePosition(of: node), "'\(field)' must be from \(PolicyDuration.text(range.lowerBound)) to \(PolicyDuration.text(range.upperBound)), not \(scalar.string)")
            return nil
        }
        return seconds
    }
}

extension Node {
    /// Written as null: nothing after the key, `~` or `null`, unquoted.
    var isNull: Bool {
        guard case .scalar(let scalar) = self, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// What a node is, for messages: "a list", "a mapping", "nothing", or the text itself.
    var summary: String {
        switch self {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            if isNull { return "nothing" }
            let text = scalar.string
            return text.count > 40 ? "'\(text.prefix(40))…'" : "'\(text)'"
        }
    }
}
