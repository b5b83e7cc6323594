import Glibc

/// An IPv4 or IPv6 address block (`10.20.0.0/16`, `2001:db8::/32`, or one address), in the
/// canonical spelling `inet_ntop` gives, so that two spellings of one block compare equal and
/// what a reviewer reads is what sshd enforces in `source-address`.
public struct AddressBlock: Hashable, Sendable, CustomStringConvertible {
    public let address: String
    public let prefixLength: Int
    public let isIPv6: Bool

    public init(_ text: String) throws(DomainError) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let written = parts.first, !written.isEmpty, written.utf8.count <= 45 else {
            throw Self.invalid(text)
        }
        var bytes = [UInt8](repeating: 0, count: 16)
        let family: Int32
        if inet_pton(AF_INET, String(written), &bytes) == 1 {
            family = AF_INET
        } else if inet_pton(AF_INET6, String(written), &bytes) == 1 {
            family = AF_INET6
        } else {
            throw Self.invalid(text)
        }
        let bits = family == AF_INET ? 32 : 128
        var prefixLength = bits
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.utf8.count <= 3, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                  let length = Int(digits), length <= bits
            else { throw Self.invalid(text) }
            prefixLength = length
        }
        // sshd refuses a block with host bits set ("inconsistent mask length"), and a reviewer
        // reading 10.20.1.5/16 might take it for one host.
        for bit in prefixLength..<bits where bytes[bit / 8] & (0x80 >> UInt8(bit % 8)) != 0 {
            throw DomainError(.invalidField, "\(Self.shown(text)) has bits set after its /\(prefixLength) prefix; write the block's first address")
        }
        var spelled = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(family, bytes, &spelled, socklen_t(spelled.count)) != nil else { throw Self.invalid(text) }
        self.address = String(decoding: spelled.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        self.prefixLength = prefixLength
        self.isIPv6 = family == AF_INET6
    }

    /// A single address is written without its prefix, as sshd and people write it.
    public var description: String {
        prefixLength == (isIPv6 ? 128 : 32) ? address : "\(address)/\(prefixLength)"
    }

    private static func invalid(_ text: String) -> DomainError {
        DomainError(.invalidField, "\(shown(text)) is not an IPv4 or IPv6 address, with or without a /prefix")
    }

    /// The text as written when it is short and printable, so that an error never echoes control
    /// characters to a terminal.
    private static func shown(_ text: String) -> String {
        text.utf8.count <= 64 && text.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) ? "'\(text)'" : "the address"
    }
}
