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
        let extensionNames = extensions.map(\.name)
        guard Set(extensionNames).count == extensionNames.count else { throw SSHFormatError(.invalidField, "an extension is given twice") }
        self.extensions = extensions.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
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
            for item in extensions {
                flags.string(item.name)
                if let value = item.value {
                    flags.nested { $0.string(value) }
                } else {
                    flags.string([UInt8]())
                }
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

/// What the session may do beyond running its command (sshd's `permit-*` flags; anything not
/// listed is refused), and this project's own extensions, named `name@domain` as the spec asks:
/// sshd ignores an extension it does not know, the recorder reads these.
public struct Extension: Hashable, Sendable {
    public let name: String
    /// Nil for a flag; else the text the extension carries (as an SSH string, the way
    /// `ssh-keygen -O extension:name=value` writes it).
    public let value: String?

    public static let permitX11Forwarding = Extension(flag: "permit-X11-forwarding")
    public static let permitAgentForwarding = Extension(flag: "permit-agent-forwarding")
    public static let permitPortForwarding = Extension(flag: "permit-port-forwarding")
    public static let permitPTY = Extension(flag: "permit-pty")
    public static let permitUserRC = Extension(flag: "permit-user-rc")
    /// sshd's flags, in the spec's order.
    public static let permissions: [Extension] = [.permitX11Forwarding, .permitAgentForwarding, .permitPortForwarding, .permitPTY, .permitUserRC]

    /// The recording the certificate's sessions upload to, and the token that may append to it
    /// and to nothing else.
    public static let recordingName = "recording@countersign.dev"
    /// The recorder keeps what the user types as well.
    public static let recordInput = Extension(flag: "record-input@countersign.dev")

    public static func recording(id: String, uploadToken: String) throws(SSHFormatError) -> Extension {
        let value = "\(id) \(uploadToken)"
        try SSHCertificate.checkText(value, "recording extension", maximumLength: 256)
        return Extension(name: recordingName, value: value)
    }

    private init(flag name: String) {
        self.name = name
        self.value = nil
    }

    private init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
