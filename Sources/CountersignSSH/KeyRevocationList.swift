/// An OpenSSH key revocation list (PROTOCOL.krl) that revokes certificates by serial, one
/// certificate section per CA, and keys outright (a CA key named there revokes every certificate
/// it signed): the file sshd reads through `RevokedKeys` and `ssh-keygen -Q` checks against.
public struct KeyRevocationList: Hashable, Sendable {
    /// "SSHKRL\n\0" read as a big-endian uint64.
    static let magic: UInt64 = 0x5353_484B_524C_0A00
    static let formatVersion: UInt32 = 1
    static let certificatesSection: UInt8 = 1
    static let explicitKeySection: UInt8 = 2
    static let serialList: UInt8 = 0x20
    static let serialRange: UInt8 = 0x21

    /// Grows with every change, so a host can tell a newer list from an older one.
    public let version: UInt64
    /// Seconds since the epoch.
    public let generatedAt: UInt64
    public let comment: String
    /// The serials each CA's certificates are revoked by.
    public let revoked: [SSHEd25519PublicKey: Set<UInt64>]
    /// Keys revoked whatever they sign or certify: a compromised CA key.
    public let revokedKeys: Set<SSHEd25519PublicKey>

    public init(
        version: UInt64, generatedAt: UInt64, comment: String, revoked: [SSHEd25519PublicKey: Set<UInt64>],
        revokedKeys: Set<SSHEd25519PublicKey> = []
    ) throws(SSHFormatError) {
        if !comment.isEmpty { try SSHCertificate.checkText(comment, "comment", maximumLength: 256) }
        guard revoked.values.allSatisfy({ !$0.contains(0) }) else {
            throw SSHFormatError(.invalidField, "serial 0 cannot be revoked by serial")
        }
        self.version = version
        self.generatedAt = generatedAt
        self.comment = comment
        self.revoked = revoked
        self.revokedKeys = revokedKeys
    }

    /// The version a KRL file gives itself, once its header shows it is one: a copy about to
    /// replace the one sshd reads is held against it, so an old list cannot bring back a
    /// revoked certificate.
    public static func version(of file: [UInt8]) throws(SSHFormatError) -> UInt64 {
        var reader = SSHWireReader(file)
        guard try reader.uint64() == magic else { throw SSHFormatError(.invalidField, "not an OpenSSH key revocation list") }
        guard try reader.uint32() == formatVersion else { throw SSHFormatError(.invalidField, "a key revocation list of another format version") }
        return try reader.uint64()
    }

    /// The file's bytes. Runs of consecutive serials become ranges; CAs come in the order of their
    /// blobs, so the same list always makes the same bytes.
    public var bytes: [UInt8] {
        var writer = SSHWireWriter()
        writer.uint64(Self.magic)
        writer.uint32(Self.formatVersion)
        writer.uint64(version)
        writer.uint64(generatedAt)
        writer.uint64(0) // flags: none are defined
        writer.string([UInt8]()) // reserved
        writer.string(comment)
        for (caKey, serials) in revoked.sorted(by: { $0.key.blob.lexicographicallyPrecedes($1.key.blob) }) where !serials.isEmpty {
            writer.byte(Self.certificatesSection)
            writer.nested { section in
                section.string(caKey.blob)
                section.string([UInt8]()) // reserved
                let runs = Self.runs(of: serials)
                let single = runs.filter { $0.lowerBound == $0.upperBound }
                if !single.isEmpty {
                    section.byte(Self.serialList)
                    section.nested { list in single.forEach { list.uint64($0.lowerBound) } }
                }
                for range in runs where range.lowerBound != range.upperBound {
                    section.byte(Self.serialRange)
                    section.nested { bounds in
                        bounds.uint64(range.lowerBound)
                        bounds.uint64(range.upperBound)
                    }
                }
            }
        }
        if !revokedKeys.isEmpty {
            writer.byte(Self.explicitKeySection)
            writer.nested { section in
                for key in revokedKeys.sorted(by: { $0.blob.lexicographicallyPrecedes($1.blob) }) { section.string(key.blob) }
            }
        }
        return writer.bytes
    }

    /// Serials as maximal runs of consecutive numbers, in order.
    static func runs(of serials: Set<UInt64>) -> [ClosedRange<UInt64>] {
        var runs: [ClosedRange<UInt64>] = []
        for serial in serials.sorted() {
            if let last = runs.last, last.upperBound < UInt64.max, last.upperBound + 1 == serial {
                runs[runs.count - 1] = last.lowerBound...serial
            } else {
                runs.append(serial...serial)
            }
        }
        return runs
    }
}
