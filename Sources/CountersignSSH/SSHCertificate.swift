import Crypto

/// An OpenSSH certificate of an Ed25519 key (PROTOCOL.certkeys, `ssh-ed25519-cert-v01@openssh.com`),
/// field by field in the order the spec writes them, before it is signed. Each field is checked
/// on construction so that no certificate that would mean more than was decided can be made: no
/// empty principal list (to sshd that means any user), no validity that never ends.
public struct SSHCertificate: Hashable, Sendable {
    public static let algorithm = "ssh-ed25519-cert-v01@openssh.com"
    public static let maximumKeyIDLength = 256
    public static let maximumPrincipals = 16
    public static let maximumPrincipalLength = 64

    public enum Kind: UInt32, Sendable {
        case user = 1
        case host = 2
    }

    /// Random bytes from the CA, so that no two certificates sign the same message.
    public let nonce: [UInt8]

    /// A fresh nonce, read from the system's generator in one call (a byte at a time cost a
    /// system call each: a third of an issue's time, `make bench`).
    public static func randomNonce() -> [UInt8] {
        SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
    }
    public let subjectKey: SSHEd25519PublicKey
    public let serial: UInt64
    public let kind: Kind
    /// What sshd logs for every use: here `countersign:<request id>:<user>`.
    public let keyID: String
    public let principals: [String]
    /// Seconds since the epoch; valid from `validAfter` until before `validBefore`.
    public let validAfter: UInt64
    public let validBefore: UInt64
    /// In the spec's order: sorted by name, each name once.
    public let criticalOptions: [CriticalOption]
    public let extensions: [Extension]

    public init(
        nonce: [UInt8], subjectKey: SSHEd25519PublicKey, serial: UInt64, kind: Kind, keyID: String, principals: [String],
        validAfter: UInt64, validBefore: UInt64, criticalOptions: [CriticalOption], extensions: Set<Extension>
    ) throws(SSHFormatError) {
        guard nonce.count == 32 else { throw SSHFormatError(.invalidField, "the nonce is 32 bytes") }
        guard serial > 0 else { throw SSHFormatError(.invalidField, "serial 0 cannot be revoked by serial; serials start at 1") }
        try Self.checkText(keyID, "key id", maximumLength: Self.maximumKeyIDLength)
        guard !principals.isEmpty, principals.count <= Self.maximumPrincipals else {
            throw SSHFormatError(.invalidField, "a certificate names 1 to \(Self.maximumPrincipals) principals; none would mean anyone")
        }
        for principal in principals {
            try Self.checkText(principal, "principal", maximumLength: Self.maximumPrincipalLength)
            guard !principal.utf8.contains(UInt8(ascii: ",")), !principal.utf8.contains(UInt8(ascii: " ")) else {
                throw SSHFormatError(.invalidField, "a principal holds no comma or space")
            }
        }
        guard Set(principals).count == principals.count else { throw SSHFormatError(.invalidField, "a principal is named twice") }
        // UInt64.max is the spec's "forever": a credential here always ends.
        guard validAfter < validBefore, validBefore < UInt64.max else {
            throw SSHFormatError(.invalidField, "valid after must come before valid before, and the certificate must expire")
        }
        for option in criticalOptions { try option.check() }
        let names = criticalOptions.map(\.name)
        guard Set(names).count == names.count else { throw SSHFormatError(.invalidField, "a critical option is given twice") }
        self.nonce = nonce
        self.subjectKey = subjectKey
        self.serial = serial
        self.kind = kind
        self.keyID = keyID
        self.principals = principals
        self.validAfter = validAfter
        self.validBefore = validBefore
        self.criticalOptions = criticalOptions.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        self.extensions = extensions.sorted { $0.rawValue.utf8.lexicographicallyPrecedes($1.rawValue.utf8) }
    }

    /// Text sshd will log or match: printable ASCII, within a bound.
    static func checkText(_ text: String, _ field: String, maximumLength: Int) throws(SSHFormatError) {
        guard !text.isEmpty, text.utf8.count <= maximumLength, text.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else {
            throw SSHFormatError(.invalidField, "a \(field) is 1 to \(maximumLength) printable ASCII characters")
        }
    }

    /// Every field up to the signature key, as the spec orders them: with the key, what the CA signs.
    func body(signatureKey: SSHEd25519PublicKey) -> [UInt8] {
        var writer = SSHWireWriter()
        writer.string(Self.algorithm)
        writer.string(nonce)
        writer.string(subjectKey.rawRepresentation)
        writer.uint64(serial)
        writer.uint32(kind.rawValue)
        writer.string(keyID)
        writer.nested { list in principals.forEach { list.string($0) } }
        writer.uint64(validAfter)
        writer.uint64(validBefore)
        writer.nested { options in
            for option in criticalOptions {
                options.string(option.name)
                options.nested { $0.string(option.value) }
            }
        }
        writer.nested { flags in
            for flag in extensions {
                flags.string(flag.rawValue)
                flags.string([UInt8]())
            }
        }
        writer.string([UInt8]()) // reserved
        writer.string(signatureKey.blob)
        return writer.bytes
    }
}

/// Options sshd must understand and enforce, or refuse the certificate (PROTOCOL.certkeys).
public enum CriticalOption: Hashable, Sendable {
    /// The only command the session may run, whatever the client asks for (the recorder).
    case forceCommand(String)
    /// The addresses the certificate may be used from, as `addr/prefix` or plain addresses.
    case sourceAddress([String])

    public static let maximumCommandLength = 1024

    var name: String {
        switch self {
        case .forceCommand: "force-command"
        case .sourceAddress: "source-address"
        }
    }

    var value: String {
        switch self {
        case .forceCommand(let command): command
        case .sourceAddress(let addresses): addresses.joined(separator: ",")
        }
    }

    /// Checked before it goes into a certificate: sshd refuses the whole certificate for an
    /// address list it cannot parse, which would turn an approval into a login that fails.
    func check() throws(SSHFormatError) {
        switch self {
        case .forceCommand(let command):
            try SSHCertificate.checkText(command, "force-command", maximumLength: Self.maximumCommandLength)
        case .sourceAddress(let addresses):
            guard !addresses.isEmpty, addresses.count <= 32 else {
                throw SSHFormatError(.invalidField, "source-address names 1 to 32 addresses")
            }
            for address in addresses where !SourceAddress.isValid(address) {
                throw SSHFormatError(.invalidField, "source-address \(address) is not an address or a CIDR block")
            }
        }
    }
}

/// What the session may do beyond running its command; anything not listed is refused by sshd.
public enum Extension: String, Hashable, Sendable, CaseIterable {
    case permitX11Forwarding = "permit-X11-forwarding"
    case permitAgentForwarding = "permit-agent-forwarding"
    case permitPortForwarding = "permit-port-forwarding"
    case permitPTY = "permit-pty"
    case permitUserRC = "permit-user-rc"
}
