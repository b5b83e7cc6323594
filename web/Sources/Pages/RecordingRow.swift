import CountersignAPI
import Foundation

/// One session recording on its request's page: where it stands, in words, and what the recorder
/// reported. A record that is not whole (`incomplete`, `missing`) says so loudly and what it
/// means, for a reviewer may be reading it because something went wrong in that session.
struct RecordingRow: Sendable {
    let id: String
    let state: String
    let stateLabel: String
    let alarm: Bool
    let alarmText: String?
    let user: String
    let target: String
    let started: TimeView?
    let reportedHost: String
    let command: String
    let uploaded: String
    let exitStatus: String
    /// It has bytes the player can draw.
    let playable: Bool

    init(_ recording: RecordingView) {
        id = recording.id
        state = recording.state
        stateLabel = Self.label(recording.state)
        alarm = recording.alarm
        alarmText = Self.alarm(recording)
        user = recording.user
        target = "\(recording.login)@\(recording.host)"
        started = recording.startedAt.map(TimeView.init)
        reportedHost = recording.reportedHost ?? "not reported yet"
        command = recording.command ?? (recording.startedAt == nil ? "not reported yet" : "a login shell")
        let chunks = recording.chunks == 1 ? "1 chunk" : "\(recording.chunks) chunks"
        let lost = recording.lostBytes > 0 ? "; \(Self.bytes(recording.lostBytes)) lost in \(recording.gaps == 1 ? "1 gap" : "\(recording.gaps) gaps")" : ""
        uploaded = "\(chunks), \(Self.bytes(recording.bytes))\(lost)"
        exitStatus = recording.exitStatus.map(String.init) ?? (recording.state == "streaming" ? "still running" : "none reported")
        playable = recording.bytes > 0
    }

    static func label(_ state: String) -> String {
        switch state {
        case "awaiting": "Awaiting: no session has started with this certificate yet"
        case "unused": "Unused: the certificate expired and no session was opened with it"
        case "streaming": "Streaming: the session is being recorded"
        case "complete": "Complete"
        case "incomplete": "ALARM: incomplete"
        case "missing": "ALARM: missing"
        default: state
        }
    }

    static func alarm(_ recording: RecordingView) -> String? {
        switch recording.state {
        case "incomplete": "The record of this session is not whole: a gap, or the recorder stopped without finishing."
        case "missing": "A recorder started and nothing arrived: the session may have run unrecorded."
        default: nil
        }
    }

    static func bytes(_ count: Int) -> String {
        switch count {
        case ..<1024: count == 1 ? "1 byte" : "\(count) bytes"
        case ..<(1 << 20): String(format: "%.1f KiB", Double(count) / 1024)
        default: String(format: "%.1f MiB", Double(count) / Double(1 << 20))
        }
    }
}
