import CountersignAPI
import CountersignCore
import Foundation

extension RecordingView {
    init(_ recording: Recording, at now: Date) {
        let state = RecordingRules.state(of: recording, at: now)
        self.init(
            id: recording.id.rawValue, requestId: recording.requestID.rawValue, serial: recording.serial.rawValue, user: recording.user.rawValue,
            host: recording.host, login: recording.login, recordsInput: recording.recordsInput, state: state.rawValue, alarm: state.isAlarm,
            createdAt: recording.createdAt, certificateExpiresAt: recording.certificateExpiresAt, startedAt: recording.start?.receivedAt,
            reportedHost: recording.start?.reportedHost, command: recording.start?.command, pty: recording.start?.hasTerminal,
            chunks: recording.progress.nextSequence, bytes: recording.progress.byteCount, lostBytes: recording.progress.lostBytes,
            gaps: recording.progress.gaps, lastChunkAt: recording.progress.lastChunkAt, exitStatus: recording.completion?.exitStatus,
            completedAt: recording.completion?.completedAt
        )
    }
}
