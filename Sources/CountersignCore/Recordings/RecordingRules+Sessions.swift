import Foundation

extension RecordingRules {
    /// A certificate opens its sessions within its lifetime (minutes to hours): far fewer than
    /// this. The bound keeps one certificate's holder from making recordings without end.
    public static let maximumSessionsPerCertificate = 64

    /// What a recorder's start call does.
    public enum SessionStart: Hashable, Sendable {
        /// This session was started before (a retry, or a recorder resuming): its recording as it is.
        case resumed(Recording)
        /// The certificate's first session: the certificate's own recording, now started.
        case started(Recording, [AuditEvent])
        /// A later session under the same certificate: a recording of its own, to be made.
        case opened(NewRecording, [AuditEvent])

        /// The recording the session uploads to.
        public var recording: Recording {
            switch self {
            case .resumed(let recording), .started(let recording, _): recording
            case .opened(let new, _): new.recording
            }
        }
    }

    /// The start call of the session `report.session` under the certificate whose own recording
    /// is `certificate`, with `existing` the recording that session opened before, if any, and
    /// `sessionsOpened` how many later sessions the certificate has opened. A later session gets
    /// `newID`, uploaded to with the token that hashes to `uploadTokenHash` (the certificate's
    /// token derived for the session). Every session's first start is audited, with its report.
    public static func startSession(
        _ report: RecordingStart, on certificate: Recording, existing: Recording?, sessionsOpened: Int,
        newID: RecordingID, uploadTokenHash: [UInt8]
    ) throws(RecordingRefusal) -> SessionStart {
        guard let session = report.session else { throw RecordingRefusal(.sessionInvalid, "a start call names its session") }
        // Only the certificate's own recording opens sessions: a later session's token starts nothing else.
        guard certificate.certificateRecording == nil else {
            guard certificate.start?.session == session else {
                throw RecordingRefusal(.sessionInvalid, "start later sessions with the certificate's own recording, not one of its sessions'")
            }
            return .resumed(certificate)
        }
        guard let first = certificate.start else {
            var started = certificate
            started.start = report
            return .started(started, [startedEvent(started, report)])
        }
        if first.session == session { return .resumed(certificate) }
        if let existing { return .resumed(existing) }
        guard sessionsOpened < maximumSessionsPerCertificate - 1 else {
            throw RecordingRefusal(.sessionsExhausted, "one certificate records at most \(maximumSessionsPerCertificate) sessions; get a new certificate")
        }
        let opened = Recording(
            id: newID, requestID: certificate.requestID, serial: certificate.serial, user: certificate.user, host: certificate.host,
            login: certificate.login, recordsInput: certificate.recordsInput, createdAt: report.receivedAt,
            certificateExpiresAt: certificate.certificateExpiresAt, certificateRecording: certificate.id, start: report
        )
        return .opened(NewRecording(recording: opened, uploadTokenHash: uploadTokenHash), [startedEvent(opened, report)])
    }

    private static func startedEvent(_ recording: Recording, _ report: RecordingStart) -> AuditEvent {
        var details = [
            "request": recording.requestID.rawValue, "serial": recording.serial.description, "host": report.reportedHost,
            "pty": String(report.hasTerminal),
        ]
        if let command = report.command { details["command"] = String(command.prefix(256)) }
        if let session = report.session { details["session"] = session.rawValue }
        if let certificateRecording = recording.certificateRecording { details["certificate_recording"] = certificateRecording.rawValue }
        return AuditEvent(time: report.receivedAt, actor: recording.user.rawValue, action: .recordingStarted, subject: recording.id.rawValue, details: details)
    }
}
