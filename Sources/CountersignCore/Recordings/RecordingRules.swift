import Foundation

/// The rules of a recording, stated once: what its state is at a moment, and whether an upload
/// extends it. Pure: the store and the HTTP layer only carry out what these decide.
public enum RecordingRules {
    /// A recorder uploads at least this often while its session lives, with an empty chunk when
    /// nothing happened; silence beyond it means the recorder is gone (killed, its host down) or
    /// cannot reach any gateway: either way the record is not whole, and says so until uploads
    /// resume.
    public static let silenceLimit: TimeInterval = 300

    public static func state(of recording: Recording, at now: Date) -> RecordingState {
        let progress = recording.progress
        if recording.completion != nil { return progress.gaps == 0 ? .complete : .incomplete }
        if progress.gaps > 0 { return .incomplete }
        guard let start = recording.start else {
            if progress.nextSequence > 0 { return silent(since: progress.lastChunkAt, now) ? .incomplete : .streaming }
            return now < recording.certificateExpiresAt ? .awaiting : .unused
        }
        if progress.nextSequence == 0 { return silent(since: start.receivedAt, now) ? .missing : .streaming }
        return silent(since: progress.lastChunkAt ?? start.receivedAt, now) ? .incomplete : .streaming
    }

    private static func silent(since last: Date?, _ now: Date) -> Bool {
        guard let last else { return true }
        return now.timeIntervalSince(last) > silenceLimit
    }

    /// What an upload does to a recording.
    public enum Outcome: Hashable, Sendable {
        /// The chunk extends the recording: store its bytes, then this.
        case extended(Recording, [AuditEvent])
        /// This very chunk was stored before (a retry): nothing changes.
        case alreadyStored
    }

    /// Judges `chunk` against `recording`. `storedDigest` is the digest already stored under the
    /// chunk's sequence number, if any.
    public static func accept(_ chunk: RecordingChunk, into recording: Recording, storedDigest: [UInt8]?, at now: Date) throws(RecordingRefusal) -> Outcome {
        let progress = recording.progress
        if chunk.sequence < progress.nextSequence {
            guard let storedDigest, storedDigest == chunk.digest else {
                throw RecordingRefusal(.conflict, "chunk \(chunk.sequence) was stored with other bytes")
            }
            return .alreadyStored
        }
        if recording.completion != nil {
            throw RecordingRefusal(.closed, "the recording is complete: its final chunk was stored")
        }
        guard chunk.sequence == progress.nextSequence else {
            throw RecordingRefusal(.outOfOrder, "chunk \(chunk.sequence) skips ahead: the recording expects chunk \(progress.nextSequence)", expectedSequence: progress.nextSequence)
        }
        guard chunk.startsWithHeader == (chunk.sequence == 0) else {
            throw RecordingRefusal(.invalid, chunk.sequence == 0 ? "the first chunk must begin with the asciicast header" : "only the first chunk carries the asciicast header")
        }
        if let first = chunk.firstEventTime, first < progress.lastEventTime {
            throw RecordingRefusal(.invalid, "chunk \(chunk.sequence) goes back in time")
        }
        let (byteCount, overflow) = progress.byteCount.addingReportingOverflow(chunk.byteCount)
        guard !overflow, byteCount <= Recording.maximumByteCount, chunk.sequence + 1 < Recording.maximumChunkCount else {
            throw RecordingRefusal(.full, "the recording holds at most \(Recording.maximumByteCount) bytes in \(Recording.maximumChunkCount) chunks")
        }
        let lostBytes = min(progress.lostBytes + chunk.lostBytes, Recording.maximumByteCount)
        var extended = recording
        extended.progress = RecordingProgress(
            nextSequence: chunk.sequence + 1, byteCount: byteCount, lastEventTime: chunk.lastEventTime ?? progress.lastEventTime,
            lastChunkAt: now, lostBytes: lostBytes, gaps: progress.gaps + (chunk.lostBytes > 0 ? 1 : 0)
        )
        var events: [AuditEvent] = []
        let subject = recording.id.rawValue
        let actor = recording.user.rawValue
        if chunk.lostBytes > 0 {
            events.append(AuditEvent(time: now, actor: actor, action: .recordingGap, subject: subject, details: [
                "request": recording.requestID.rawValue, "before_chunk": String(chunk.sequence), "lost_bytes": String(chunk.lostBytes),
            ]))
        }
        if let final = chunk.final {
            extended.completion = RecordingCompletion(exitStatus: final.exitStatus, completedAt: now)
            events.append(AuditEvent(time: now, actor: actor, action: .recordingCompleted, subject: subject, details: [
                "request": recording.requestID.rawValue, "exit_status": String(final.exitStatus), "chunks": String(chunk.sequence + 1),
                "bytes": String(byteCount), "state": state(of: extended, at: now).rawValue,
            ]))
        }
        return .extended(extended, events)
    }
}

extension RecordingRules {
    /// Auditors and admins see every recording; anyone else the recordings of their own sessions,
    /// and, when `request` is the break-glass grant the recording is of, its reviewers too: they
    /// judge the grant by what was done in it.
    public static func mayView(_ recording: Recording, actor: Actor, request: AccessRequest? = nil) -> Bool {
        if RequestRules.oversees(actor) || recording.user == actor.name { return true }
        guard let request, request.id == recording.requestID else { return false }
        return mayViewEvery(of: request, actor: actor)
    }

    /// Whether `actor` sees every recording of `request`'s sessions, not only their own.
    public static func mayViewEvery(of request: AccessRequest, actor: Actor) -> Bool {
        if RequestRules.oversees(actor) { return true }
        guard let terms = request.breakGlassTerms else { return false }
        return !terms.reviewers.isDisjoint(with: actor.groups)
    }
}
