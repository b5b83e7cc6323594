import Glibc

/// The address forms sshd accepts in `source-address`: an IPv4 or IPv6 address, optionally with a
/// prefix length within the family's bits.
enum SourceAddress {
    static func isValid(_ text: String) -> Bool {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = parts.first, !address.isEmpty, address.utf8.count <= 45 else { return false }
        let bits: Int
        var buffer = [UInt8](repeating: 0, count: 16)
        if inet_pton(AF_INET, String(address), &buffer) == 1 {
            bits = 32
        } else if inet_pton(AF_INET6, String(address), &buffer) == 1 {
            bits = 128
        } else {
            return false
        }
        guard parts.count == 2 else { return true }
        let prefix = parts[1]
        guard !prefix.isEmpty, prefix.utf8.count <= 3, prefix.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let length = Int(prefix) else {
            return false
        }
        return length <= bits
    }
}
