/// What a deploy ships: a full git commit SHA or a content digest of a built artifact. Abbreviated
/// SHAs and tags are refused because they can be moved to point at other code after approval.
public enum ArtifactReference: Hashable, Sendable, CustomStringConvertible, Codable {
    case gitCommit(String)
    case sha256Digest(String)

    public init(_ text: String) throws(DomainError) {
        if text.hasPrefix("sha256:") {
            let hex = text.dropFirst("sha256:".count)
            guard hex.utf8.count == 64, hex.utf8.allSatisfy(Self.isLowerHex) else {
                throw DomainError(.invalidField, "commit digest must be 'sha256:' followed by 64 lowercase hex digits")
            }
            self = .sha256Digest(String(hex))
        } else {
            guard text.utf8.count == 40, text.utf8.allSatisfy(Self.isLowerHex) else {
                throw DomainError(.invalidField, "commit must be a full 40-digit lowercase hex git SHA or 'sha256:<64 hex>'")
            }
            self = .gitCommit(text)
        }
    }

    public var description: String {
        switch self {
        case .gitCommit(let sha): sha
        case .sha256Digest(let hex): "sha256:\(hex)"
        }
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(raw)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
