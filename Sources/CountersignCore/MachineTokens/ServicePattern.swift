/// A glob over service names (`payments-*`) restricting which services a machine token acts
/// for. Only characters a service name can hold are allowed, as literals or set bounds: a
/// pattern that could never match (`Payments-*`) is refused when the token is made, rather than
/// leaving a token that silently refuses everything.
public struct ServicePattern: Hashable, Sendable, CustomStringConvertible {
    public let glob: Glob

    /// Twice the longest service name: room for sets such as `[a-c]`, still one short line.
    public static let maximumLength = 128

    public init(_ pattern: String) throws(DomainError) {
        guard pattern.utf8.count <= Self.maximumLength else {
            throw DomainError(.invalidField, "a service pattern must be at most \(Self.maximumLength) characters")
        }
        let glob = try Glob(pattern)
        guard glob.tokens.allSatisfy(Self.canMatchAName) else {
            throw DomainError(.invalidField, "service pattern \(pattern.debugDescription) can never match a service name (a-z, 0-9, '.', '_', '-')")
        }
        self.glob = glob
    }

    public func matches(_ service: String) -> Bool { glob.matches(service) }

    public var description: String { glob.pattern }

    private static func canMatchAName(_ token: Glob.Token) -> Bool {
        switch token {
        case .literal(let character): isNameCharacter(character)
        case .anyCharacter, .anySequence: true
        case .characterSet(let ranges, _): ranges.allSatisfy { isNameCharacter($0.lowerBound) && isNameCharacter($0.upperBound) }
        }
    }

    private static func isNameCharacter(_ character: Character) -> Bool {
        guard let byte = character.asciiValue else { return false }
        return FieldRules.isNameByte(byte)
    }
}
