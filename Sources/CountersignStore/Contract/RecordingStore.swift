import CountersignCore
import Foundation

/// Session recordings: made with their certificate (an issue's unit of work, `RequestChange`),
/// extended by their recorder's uploads. The bytes of the chunks live beside the store (files);
/// the store keeps what the rules need and what proves the bytes: each chunk's size and SHA-256.
public protocol RecordingStore: Sendable {
    func recording(_ id: RecordingID) async throws -> Recording?

    /// The recording whose upload token hashes to `uploadTokenHash`, or nil: a token's only use
    /// is to find its one recording.
    func recording(uploadTokenHash: [UInt8]) async throws -> Recording?

    /// The recorder's start call for session `session` under the certificate whose own recording
    /// is `id`, in one transaction: locks that recording, finds the recording the session opened
    /// before (if any) and counts the later sessions the certificate opened, asks `decide`
    /// (normally `RecordingRules.startSession`), and commits what it decides with its events:
    /// the certificate's recording started, or a new recording for the session. Returns the
    /// recording the session uploads to; `decide`'s refusal is rethrown as is.
    func startSession(
        _ session: RecordingSessionID, on id: RecordingID,
        decide: @Sendable (_ certificate: Recording, _ existing: Recording?, _ sessionsOpened: Int) throws -> RecordingRules.SessionStart
    ) async throws -> Recording

    /// One upload, in one transaction: locks the recording, reads the digest stored under the
    /// chunk's sequence number, and asks `decide` (normally `RecordingRules.accept`). When the
    /// chunk extends the recording, `keepBytes` is run (it puts the bytes where readers find
    /// them, durably), then the recording's progress, the chunk's row and the events commit; a
    /// failure of either leaves the recording as it was. `decide`'s refusal is rethrown as is.
    func appendChunk(
        _ chunk: RecordingChunk, to id: RecordingID,
        decide: @Sendable (Recording, _ storedDigest: [UInt8]?) throws -> RecordingRules.Outcome,
        keepBytes: @Sendable () throws -> Void
    ) async throws -> RecordingRules.Outcome

    /// The chunks stored for a recording, in order: what reading its bytes back checks them against.
    func chunks(of id: RecordingID) async throws -> [StoredChunk]

    /// Recordings newest first, at most `limit`: of one request, of one user, or all.
    func recordings(of request: RequestID?, user: Username?, limit: Int) async throws -> [Recording]

    /// Recordings a session touched that are not known whole (no final chunk, or a reported gap),
    /// newest first, at most `limit`: the ones whose state can be an alarm (`RecordingRules.state`).
    func unfinishedRecordings(limit: Int) async throws -> [Recording]
}

/// A stored chunk's proof: where it sits and what its bytes hash to.
public struct StoredChunk: Hashable, Sendable {
    public let sequence: Int
    public let byteCount: Int
    public let digest: [UInt8]

    public init(sequence: Int, byteCount: Int, digest: [UInt8]) {
        self.sequence = sequence
        self.byteCount = byteCount
        self.digest = digest
    }
}
