/// A username that is safe to hand to PAM modules.
///
/// The character set is deliberately narrow: `:` and newlines would let a name match another
/// field or line of a password file such as pam_pwdfile's, and names starting with `-` are
/// treated as options by some tools and refused by pam_unix.
struct PAMUsername {
    static let allowedLength = 1...64

    let value: String

    init?(_ value: String) {
        let bytes = value.utf8
        guard Self.allowedLength.contains(bytes.count),
            bytes.first != UInt8(ascii: "-"),
            bytes.allSatisfy(Self.isAllowed)
        else {
            return nil
        }
        self.value = value
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }
}

/// A password that PAM will see in full.
///
/// A NUL byte would silently cut the password short once it becomes a C string, so a
/// password containing one is refused rather than checked as its prefix. The upper bound
/// keeps a hostile client from making every hash module work on megabytes of input.
struct PAMPassword {
    static let allowedLength = 1...1024

    let value: String

    init?(_ value: String) {
        let bytes = value.utf8
        guard Self.allowedLength.contains(bytes.count), !bytes.contains(0) else {
            return nil
        }
        self.value = value
    }
}
