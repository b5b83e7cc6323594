import Asciicast
import CountersignAPI
import CountersignCore
import Dispatch
import Foundation
import Glibc
import Synchronization

/// Everything `countersign record` needs to record one session.
public struct RecorderConfiguration: Sendable {
    /// The gateway's base URL, `http://…` or `https://…`, without a trailing slash.
    public var gateway: String
    public var spoolDirectory: String
    public var credentials: RecordingCredentials
    public var program: SessionProgram
    /// What the start call reports as the host.
    public var hostName: String
    public var terminalType: String?
    /// Bytes of unsent chunks held in memory; older ones are read back from the spool.
    public var memoryLimit = 16 * 1024 * 1024
    public var retryCap: Duration = .seconds(10)
    /// After the session: how long to keep trying an unreachable gateway before leaving the rest
    /// in the spool.
    public var grace: Duration = .seconds(15)
    public var heartbeat: Duration = .seconds(20)
    public var clock: any SessionClock = MonotonicClock()

    public init(gateway: String, spoolDirectory: String, credentials: RecordingCredentials, program: SessionProgram, hostName: String, terminalType: String?) {
        self.gateway = gateway
        self.spoolDirectory = spoolDirectory
        self.credentials = credentials
        self.program = program
        self.hostName = hostName
        self.terminalType = terminalType
    }
}

/// One recorded session, start to end: the spool first (no spool, no session: fail closed), then
/// the session's program on a terminal of its own (when the user has one) or on pipes, relayed
/// and recorded on this thread while the uploader streams the chunks from another; at the end the
/// final chunk, the terminal put back, and a bounded wait for the upload.
public enum SessionRecorder {
    /// Runs the session; the status for the recorder's process to exit with: the program's, or 1
    /// when the session was refused before it started (the reason is on standard error).
    public static func run(_ configuration: RecorderConfiguration) -> Int32 {
        let notices = SessionNotices()
        do {
            return try record(configuration, notices: notices)
        } catch {
            notices.say("\(error.message); the session was not started")
            return 1
        }
    }

    private static func record(_ configuration: RecorderConfiguration, notices: SessionNotices) throws(RecorderError) -> Int32 {
        let signals = try SignalPipe.install()
        let terminalSize = isatty(STDIN_FILENO) == 1 ? WindowSize.of(STDIN_FILENO) ?? winsize(ws_row: 24, ws_col: 80, ws_xpixel: 0, ws_ypixel: 0) : nil
        let command = configuration.program.command.map { bounded($0, to: RecordingStart.maximumCommandLength) }
        let header: AsciicastHeader
        do throws(AsciicastFormatError) {
            // A terminal past the format's bound (1000 cells) is recorded as the largest it takes.
            let size = try AsciicastSize(columns: min(Int(terminalSize?.ws_col ?? 80), 1000), rows: min(Int(terminalSize?.ws_row ?? 24), 1000))
            header = try AsciicastHeader(
                size: size, timestamp: Int64(Date().timeIntervalSince1970), command: command,
                shell: bounded(configuration.program.path, to: AsciicastHeader.maximumTextLength),
                term: configuration.terminalType.map { bounded($0, to: AsciicastHeader.maximumTextLength) }
            )
        } catch {
            throw RecorderError(.sessionFailed, "cannot describe the session: \(error.message)")
        }
        let session = RecordingSessionID.random()
        // Every session under the certificate spools apart: its recording's id groups them, the
        // session's tells them apart (its recording's own id is the gateway's answer, still to come).
        let name = "\(configuration.credentials.recordingID.rawValue).\(session.rawValue)"
        let spool = try SpoolFile.create(directory: configuration.spoolDirectory, name: name + ".cast")
        let ledger = ChunkLedger(spool: spool, memoryLimit: configuration.memoryLimit)
        var recording = try SessionRecording(
            header: header, spool: spool, ledger: ledger, clock: configuration.clock, recordsInput: configuration.credentials.recordsInput, notices: notices
        )

        let relay: Relay
        do {
            if let terminalSize {
                let (child, master) = try SessionChild.onTerminal(configuration.program, size: terminalSize)
                relay = .terminal(TerminalRelay(child: child, master: master, signals: signals, clock: configuration.clock))
            } else {
                let (child, pipes) = try SessionChild.withPipes(configuration.program)
                relay = .pipes(PipeRelay(child: child, pipes: pipes, signals: signals))
            }
        } catch {
            // Nothing ran: the spool would only stand in the way of the next try.
            unlink(spool.path)
            throw error
        }

        let syncer = SpoolSync(spool: spool) { notices.spoolFailed(spool.path, reason: "fsync failed") }
        syncer.start()
        let upload = startUpload(configuration, session: session, name: name, ledger: ledger, command: command, terminalSize: terminalSize)

        let status: Int32
        switch relay {
        case .terminal(let terminal):
            let mode = TerminalMode.makeRaw(STDIN_FILENO)
            notices.terminalIsRaw(mode != nil)
            status = terminal.run(&recording)
            recording.finish(exitStatus: status)
            mode?.restore()
            notices.terminalIsRaw(false)
        case .pipes(let pipes):
            status = pipes.run(&recording)
            recording.finish(exitStatus: status)
        }
        syncer.stop()
        spool.sync()

        let outcome = upload.wait()
        if !outcome.complete {
            let left = ledger.unstoredBytes
            notices.say("\(outcome.problem ?? "the upload did not finish"); \(left) bytes of this session's recording are not on the gateway, they are kept in \(spool.path)")
        }
        spool.close()
        return status
    }

    private enum Relay {
        case terminal(TerminalRelay)
        case pipes(PipeRelay)
    }

    /// The uploader on Swift's concurrency pool (AsyncHTTPClient is async), awaited at the end by
    /// the session's thread, which never belongs to that pool.
    private static func startUpload(
        _ configuration: RecorderConfiguration, session: RecordingSessionID, name: String, ledger: ChunkLedger, command: String?, terminalSize: winsize?
    ) -> PendingUpload {
        let client = HTTPRecordingGateway.makeClient()
        let gateway = HTTPRecordingGateway(base: configuration.gateway, certificate: configuration.credentials, session: session, client: client)
        let directory = configuration.spoolDirectory.hasSuffix("/") ? configuration.spoolDirectory : configuration.spoolDirectory + "/"
        let state = UploadStateFile(path: directory + name + ".state", clock: configuration.clock)
        let body = RecordingStartBody(
            session: session.rawValue, host: bounded(configuration.hostName, to: RecordingStart.maximumHostLength), command: command,
            pty: terminalSize != nil, width: terminalSize.map { Int($0.ws_col) }, height: terminalSize.map { Int($0.ws_row) }, startedAt: Date()
        )
        let certificateRecording = configuration.credentials.recordingID
        @Sendable func contents(_ outcome: RecordingUploader.Outcome, storedChunks: Int) -> UploadStateFile.Contents {
            UploadStateFile.Contents(
                certificateRecordingId: certificateRecording.rawValue, session: session.rawValue, recordingId: outcome.recording?.rawValue,
                nextSeq: outcome.nextSequence, storedChunks: storedChunks, complete: outcome.complete, problem: outcome.problem
            )
        }
        var policy = RecordingUploader.Policy()
        policy.retryCap = configuration.retryCap
        policy.grace = configuration.grace
        policy.heartbeat = configuration.heartbeat
        let uploader = RecordingUploader(ledger: ledger, gateway: gateway, startBody: body, clock: configuration.clock, policy: policy) { outcome, stored in
            state.update(contents(outcome, storedChunks: stored))
        }
        let pending = PendingUpload()
        Task.detached {
            let outcome = await uploader.run()
            state.update(contents(outcome, storedChunks: ledger.storedChunks), force: true)
            try? await client.shutdown()
            pending.resolve(outcome)
        }
        return pending
    }

    /// `text` cut to at most `limit` bytes of UTF-8, on a character boundary.
    static func bounded(_ text: String, to limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var result = ""
        for character in text {
            guard result.utf8.count + character.utf8.count <= limit else { break }
            result.append(character)
        }
        return result
    }
}

/// The uploader's outcome, waited for by a thread outside the concurrency pool.
private final class PendingUpload: Sendable {
    private let outcome = Mutex<RecordingUploader.Outcome?>(nil)
    private let done = DispatchSemaphore(value: 0)

    func resolve(_ value: RecordingUploader.Outcome) {
        outcome.withLock { $0 = value }
        done.signal()
    }

    func wait() -> RecordingUploader.Outcome {
        done.wait()
        return outcome.withLock { $0 } ?? RecordingUploader.Outcome()
    }
}
