/// A shell-style pattern over policy attributes: `*` any run of characters, `?` one character,
/// `[abc]` / `[a-z]` / `[!abc]` one character of (or not of) a set. Anything else is literal.
/// Parsed once so a malformed pattern is a load-time error, never a silent non-match.
public struct Glob: Hashable, Sendable, CustomStringConvertible {
    enum Token: Hashable, Sendable {
        case literal(Character)
        case anyCharacter
        case anySequence
        case characterSet(ranges: [ClosedRange<Character>], negated: Bool)
    }

    public let pattern: String
    let tokens: [Token]

    public static let maximumLength = 256

    public init(_ pattern: String) throws(DomainError) {
        guard !pattern.isEmpty, pattern.count <= Self.maximumLength else {
            throw DomainError(.invalidField, "glob must be 1 to \(Self.maximumLength) characters")
        }
        self.pattern = pattern
        self.tokens = try Self.parse(Array(pattern))
    }

    public var description: String { pattern }

    /// True when the pattern has no wildcard, so it names exactly one value.
    public var isLiteral: Bool {
        tokens.allSatisfy { if case .literal = $0 { true } else { false } }
    }

    public func matches(_ value: String) -> Bool {
        let characters = Array(value)
        // Iterative matching with one backtrack point for the last `*`: linear in practice and
        // never exponential, whatever the pattern.
        var tokenIndex = 0
        var characterIndex = 0
        var starToken: Int?
        var starCharacter = 0
        while characterIndex < characters.count {
            if tokenIndex < tokens.count, tokens[tokenIndex] == .anySequence {
                starToken = tokenIndex
                starCharacter = characterIndex
                tokenIndex += 1
            } else if tokenIndex < tokens.count, Self.token(tokens[tokenIndex], accepts: characters[characterIndex]) {
                tokenIndex += 1
                characterIndex += 1
            } else if let star = starToken {
                tokenIndex = star + 1
                starCharacter += 1
                characterIndex = starCharacter
            } else {
                return false
            }
        }
        while tokenIndex < tokens.count, tokens[tokenIndex] == .anySequence {
            tokenIndex += 1
        }
        return tokenIndex == tokens.count
    }

    private static func token(_ token: Token, accepts character: Character) -> Bool {
        switch token {
        case .literal(let expected): expected == character
        case .anyCharacter: true
        case .anySequence: false
        case .characterSet(let ranges, let negated): ranges.contains { $0.contains(character) } != negated
        }
    }

    private static func parse(_ characters: [Character]) throws(DomainError) -> [Token] {
        var tokens: [Token] = []
        var index = 0
        while index < characters.count {
            switch characters[index] {
            case "*":
                if tokens.last != .anySequence { tokens.append(.anySequence) }
                index += 1
            case "?":
                tokens.append(.anyCharacter)
                index += 1
            case "[":
                let (token, next) = try parseSet(characters, from: index + 1)
                tokens.append(token)
                index = next
            case "]":
                throw DomainError(.invalidField, "glob '\(String(characters))' has ']' without '['")
            default:
                tokens.append(.literal(characters[index]))
                index += 1
            }
        }
        return tokens
    }

    private static func parseSet(_ characters: [Character], from start: Int) throws(DomainError) -> (Token, Int) {
        var index = start
        var negated = false
        if index < characters.count, characters[index] == "!" {
            negated = true
            index += 1
        }
        var ranges: [ClosedRange<Character>] = []
        while index < characters.count, characters[index] != "]" {
            let low = characters[index]
            if index + 2 < characters.count, characters[index + 1] == "-", characters[index + 2] != "]" {
                let high = characters[index + 2]
                guard low <= high else {
                    throw DomainError(.invalidField, "glob '\(String(characters))' has an empty range \(low)-\(high)")
                }
                ranges.append(low...high)
                index += 3
            } else {
                ranges.append(low...low)
                index += 1
            }
        }
        guard index < characters.count else {
            throw DomainError(.invalidField, "glob '\(String(characters))' has '[' without ']'")
        }
        guard !ranges.isEmpty else {
            throw DomainError(.invalidField, "glob '\(String(characters))' has an empty character set")
        }
        return (.characterSet(ranges: ranges, negated: negated), index + 1)
    }
}
