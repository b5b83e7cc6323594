import Foundation
import Yams

/// Turns a file's bytes into a YAML node tree with positions, or diagnostics saying why not.
///
/// Policy files use plain YAML only. Every scalar is composed as text (`Resolver.basic`) and typed
/// by the field that reads it, so `login: no` stays the login `no` and `count: "2"` is refused
/// rather than guessed at. Anchors, aliases and explicit tags are refused: they let one line change
/// a rule written elsewhere without that rule showing it, and aliases can multiply a small file
/// into an enormous tree (billion laughs).
enum YAMLDocument {
    enum Parsed {
        /// No document at all: an empty file or only comments.
        case empty
        case root(Node)
        /// Diagnostics were logged.
        case invalid
    }

    private static let anchorProblem = "anchors and aliases (&name, *name) are not allowed in policy files: write each value out where it applies"
    private static let tagProblem = "explicit tags (!!int, !custom) are not allowed in policy files: write the plain value; each key knows its type"

    static func parse(_ file: PolicyFile, log: inout DiagnosticLog) -> Parsed {
        guard let text = String(validating: file.bytes, as: UTF8.self) else {
            log.error(.badEncoding, at: .none, "the file is not UTF-8 text")
            return .invalid
        }
        if let anchor = firstAnchorLikeToken(in: text) {
            log.error(.unsupportedYAML, at: anchor, "\(anchorProblem) (in text, put no space before '&')")
            return .invalid
        }
        do {
            let parser = try Parser(yaml: text, resolver: .basic)
            guard let root = try parser.singleRoot() else { return .empty }
            // Anchors are held weakly by nodes and strongly by the parser, so it must outlive the check.
            let unsupported = withExtendedLifetime(parser) { firstUnsupportedFeature(in: root) }
            if let (node, problem) = unsupported {
                log.error(.unsupportedYAML, at: SourcePosition(of: node), problem)
                return .invalid
            }
            return .root(root)
        } catch let error as YamlError {
            record(error, text: text, into: &log)
            return .invalid
        } catch {
            log.error(.yamlSyntax, at: .none, "the file cannot be parsed: \(error)")
            return .invalid
        }
    }

    /// Where the first `&name` that could be an anchor is, looking at the text alone.
    ///
    /// Yams compares mapping keys by hashing them whole, so a key that is an alias of an
    /// alias-inflated node costs time exponential in the file's size before any node can be
    /// checked. No anchor, no alias: this scan runs first. It ignores quoting and comments
    /// on purpose (telling them apart takes a YAML scanner, and getting that wrong would let an
    /// anchor through), so `"Tom &Jerry"` is refused too; a false alarm names its line.
    static func firstAnchorLikeToken(in text: String) -> SourcePosition? {
        var line = 1
        var column = 0
        var previous: Unicode.Scalar = "\n"
        var anchorStart: SourcePosition?
        for scalar in text.unicodeScalars {
            column += 1
            if let start = anchorStart {
                if !isSeparator(scalar) { return start }
                anchorStart = nil
            }
            if scalar == "&", isSeparator(previous) || "[{,:?-".unicodeScalars.contains(previous) {
                anchorStart = SourcePosition(line: line, column: column)
            }
            if scalar == "\n" {
                line += 1
                column = 0
            }
            previous = scalar
        }
        return nil
    }

    /// Characters that cannot be part of an anchor name, as libyaml reads them.
    private static func isSeparator(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || "[]{},".unicodeScalars.contains(scalar)
    }

    /// The first anchor, alias or explicit tag, in document order. Does not descend into an
    /// anchored node, so a tree inflated by aliases is never walked.
    private static func firstUnsupportedFeature(in node: Node) -> (Node, String)? {
        if node.anchor != nil { return (node, anchorProblem) }
        switch node {
        case .scalar(let scalar):
            return isPlain(scalar.tag, kind: .str) ? nil : (node, tagProblem)
        case .mapping(let mapping):
            if !isPlain(mapping.tag, kind: .map) { return (node, tagProblem) }
            for (key, value) in mapping {
                if let found = firstUnsupportedFeature(in: key) ?? firstUnsupportedFeature(in: value) { return found }
            }
            return nil
        case .sequence(let sequence):
            if !isPlain(sequence.tag, kind: .seq) { return (node, tagProblem) }
            for element in sequence {
                if let found = firstUnsupportedFeature(in: element) { return found }
            }
            return nil
        case .alias:
            return (node, anchorProblem)
        }
    }

    /// No tag, or the one the basic resolver gives a node of its kind. Yams resolves tags in
    /// place once a node is compared (its duplicate-key check does), so the resolved name is
    /// as good as none; `!!str` on a text is indistinguishable, and harmless.
    private static func isPlain(_ tag: Tag, kind: Tag.Name) -> Bool {
        tag.rawValue.isEmpty || tag.rawValue == kind.rawValue || tag.rawValue == Tag.Name.nonSpecific.rawValue
    }

    private static func record(_ error: YamlError, text: String, into log: inout DiagnosticLog) {
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let during = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            log.error(.yamlSyntax, at: SourcePosition(mark), "YAML syntax: \(problem)\(during)")
        case .reader(let problem, let offset, _, _):
            log.error(.yamlSyntax, at: offset.map { position(ofCharacter: $0, in: text) } ?? .none, "YAML cannot be read: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            log.error(.duplicateKey, at: SourcePosition(context.mark), "key \(keys) is written more than once in the same mapping")
        default:
            log.error(.yamlSyntax, at: .none, "the file cannot be parsed: \(error)")
        }
    }

    private static func position(ofCharacter offset: Int, in text: String) -> SourcePosition {
        var line = 1
        var column = 1
        for character in text.prefix(offset) {
            if character == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return SourcePosition(line: line, column: column)
    }
}
