import Foundation

/// An IPv4 or IPv6 address, parsed strictly (inet_pton) so that one address has one spelling:
/// `::1`, `0:0::1` and `::ffff:127.0.0.1` must not count as different clients.
struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// 4 bytes for IPv4 (IPv4-mapped IPv6 addresses included), 16 for IPv6.
    let bytes: [UInt8]

    /// The longest textual IPv6 address (with an embedded IPv4 part) is 45 characters.
    static let maximumTextLength = 45

    init?(_ text: some StringProtocol) {
        let text = String(text)
        // inet_pton reads a C string: a NUL would end the address early and let what follows pass.
        guard !text.isEmpty, text.utf8.count <= Self.maximumTextLength, text.utf8.allSatisfy(Self.mayAppear) else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let all = withUnsafeBytes(of: &v6) { Array($0) }
        let mappedPrefix: [UInt8] = Array(repeating: 0, count: 10) + [0xFF, 0xFF]
        bytes = Array(all.prefix(12)) == mappedPrefix ? Array(all.suffix(4)) : all
    }

    private static func mayAppear(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"),
             UInt8(ascii: "."), UInt8(ascii: ":"):
            true
        default:
            false
        }
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    var description: String {
        var buffer = [CChar](repeating: 0, count: 64)
        var raw = bytes
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        guard inet_ntop(family, &raw, &buffer, socklen_t(buffer.count)) != nil else { return "unknown" }
        return String(cString: buffer)
    }

    /// The address with every bit after `prefixLength` cleared.
    func masked(to prefixLength: Int) -> IPAddress {
        IPAddress(bytes: bytes.enumerated().map { index, byte in
            let kept = min(max(prefixLength - index * 8, 0), 8)
            return kept == 8 ? byte : byte & ~(UInt8(0xFF) >> kept)
        })
    }

    /// What login throttles count an address as. An IPv6 client usually holds a whole /64 and could
    /// otherwise take a fresh address for every guess.
    var throttleKey: String {
        bytes.count == 16 ? "\(masked(to: 64))/64" : description
    }
}

/// A network in CIDR notation; a bare address is a network of one.
struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    let base: IPAddress
    let prefixLength: Int

    init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = parts.first, let address = IPAddress(first) else { return nil }
        let bits = address.bytes.count * 8
        if parts.count == 2 {
            // Digits only: Int("+8") would pass, and a prefix is never signed.
            guard let text = parts.last, (1...3).contains(text.count), text.allSatisfy(\.isASCIIDigit),
                  let length = Int(text), (0...bits).contains(length) else { return nil }
            prefixLength = length
        } else {
            prefixLength = bits
        }
        base = address.masked(to: prefixLength)
    }

    func contains(_ address: IPAddress) -> Bool {
        address.bytes.count == base.bytes.count && address.masked(to: prefixLength) == base
    }

    var description: String { "\(base)/\(prefixLength)" }
}

public struct TrustedProxyError: Error, CustomStringConvertible {
    public let entry: String
    public var description: String {
        "not an IP address or CIDR network: \(entry.prefix(64)) (expected e.g. 10.0.0.0/8,::1)"
    }
}

/// The reverse proxies whose `X-Forwarded-For` the gateway believes. With none (the default) the
/// header is ignored: anyone can send it, and believing it would let a guesser pick a fresh
/// address for every attempt.
public struct TrustedProxies: Sendable, CustomStringConvertible {
    let networks: [IPNetwork]

    public static let none = TrustedProxies(networks: [])
    /// Bounds on what is read of the header: enough for any real chain of proxies, and a client
    /// cannot make the gateway parse more by sending more.
    static let maximumHeaderBytes = 8 * 1024
    static let maximumHops = 16
    static let maximumListEntries = 64

    init(networks: [IPNetwork]) {
        self.networks = networks
    }

    /// A comma-separated list of addresses and CIDR networks, e.g. `10.0.0.0/8,::1`.
    public init(parsing list: String) throws(TrustedProxyError) {
        let entries = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard entries.count <= Self.maximumListEntries else { throw TrustedProxyError(entry: "more than \(Self.maximumListEntries) entries") }
        var networks: [IPNetwork] = []
        for entry in entries {
            guard let network = IPNetwork(entry) else { throw TrustedProxyError(entry: entry) }
            networks.append(network)
        }
        self.networks = networks
    }

    public var description: String { networks.isEmpty ? "none" : networks.map(\.description).joined(separator: ",") }

    func trusts(_ address: IPAddress) -> Bool {
        networks.contains { $0.contains(address) }
    }

    /// The client's address: the peer's, unless the peer is a trusted proxy, in which case the
    /// right-most `X-Forwarded-For` entry that is not itself a trusted proxy. Entries to its left
    /// were written by the client and prove nothing. Anything unreadable where the client's
    /// address should be falls back to the peer's address.
    func clientAddress(peer: String, forwardedFor fields: [String]) -> String {
        guard let peerAddress = IPAddress(peer) else { return peer }
        guard trusts(peerAddress), !fields.isEmpty else { return peerAddress.description }
        // Proxies append, so the entries that matter are at the end: keep only the tail of an
        // oversized header (its cut first entry is never reached, or is refused as malformed).
        var joined = fields.joined(separator: ",")
        if joined.utf8.count > Self.maximumHeaderBytes {
            joined = String(decoding: joined.utf8.suffix(Self.maximumHeaderBytes), as: UTF8.self)
        }
        var hops = joined.split(separator: ",", omittingEmptySubsequences: false).suffix(Self.maximumHops)
        var nearest = peerAddress
        while let hop = hops.popLast() {
            guard let address = Self.address(inForwardedEntry: hop) else { return peerAddress.description }
            guard trusts(address) else { return address.description }
            nearest = address
        }
        // Every hop read was a trusted proxy: the farthest of them is the best that is known.
        return nearest.description
    }

    /// An entry is an address, optionally with a port as some proxies add (`1.2.3.4:80`,
    /// `[2001:db8::1]:443`).
    static func address(inForwardedEntry entry: Substring) -> IPAddress? {
        let trimmed = entry.trimmingCharacters(in: .whitespaces)
        if let address = IPAddress(trimmed) { return address }
        if trimmed.hasPrefix("["), let close = trimmed.firstIndex(of: "]") {
            return IPAddress(trimmed[trimmed.index(after: trimmed.startIndex)..<close])
        }
        let parts = trimmed.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 2, let host = parts.first, let address = IPAddress(host), address.bytes.count == 4 { return address }
        return nil
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
