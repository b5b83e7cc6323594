/// What the gateway learnt of one uploaded chunk before the rules judge it: the edge parses the
/// asciicast lines and hashes the bytes; the rules decide whether they extend the recording.
public struct RecordingChunk: Hashable, Sendable {
    public static let maximumByteCount = 1 << 20

    /// 0 for the first chunk, then one more for each.
    public let sequence: Int
    public let byteCount: Int
    /// SHA-256 of the bytes: a retry is recognised by it, a different chunk under a stored
    /// sequence number is a conflict.
    public let digest: [UInt8]
    /// Whether the bytes begin with the asciicast header line (the first chunk's, only).
    public let startsWithHeader: Bool
    /// Microseconds since the session began of the chunk's first and last events; nil without events.
    public let firstEventTime: Int64?
    public let lastEventTime: Int64?
    /// The recorder's last chunk, with the session's exit status.
    public let final: Final?
    /// Bytes of its spool the recorder could not read back before this chunk: a gap.
    public let lostBytes: Int

    public struct Final: Hashable, Sendable {
        public let exitStatus: Int
        public static let exitStatusRange = 0...255

        public init(exitStatus: Int) throws(DomainError) {
            guard Self.exitStatusRange.contains(exitStatus) else {
                throw DomainError(.invalidField, "exit_status must be between 0 and 255")
            }
            self.exitStatus = exitStatus
        }
    }

    public init(
        sequence: Int, byteCount: Int, digest: [UInt8], startsWithHeader: Bool, firstEventTime: Int64?, lastEventTime: Int64?,
        final: Final?, lostBytes: Int
    ) throws(DomainError) {
        guard (0..<Recording.maximumChunkCount).contains(sequence) else {
            throw DomainError(.invalidField, "a chunk's sequence number must be between 0 and \(Recording.maximumChunkCount - 1)")
        }
        guard (0...Self.maximumByteCount).contains(byteCount) else {
            throw DomainError(.invalidField, "a chunk is at most \(Self.maximumByteCount) bytes")
        }
        guard digest.count == 32 else { throw DomainError(.invalidField, "a chunk's digest is 32 bytes") }
        guard (0...Recording.maximumByteCount).contains(lostBytes) else {
            throw DomainError(.invalidField, "lost_bytes must be between 0 and \(Recording.maximumByteCount)")
        }
        guard (firstEventTime == nil) == (lastEventTime == nil), (firstEventTime ?? 0) <= (lastEventTime ?? 0) else {
            throw DomainError(.invalidField, "a chunk's events go back in time")
        }
        self.sequence = sequence
        self.byteCount = byteCount
        self.digest = digest
        self.startsWithHeader = startsWithHeader
        self.firstEventTime = firstEventTime
        self.lastEventTime = lastEventTime
        self.final = final
        self.lostBytes = lostBytes
    }
}
