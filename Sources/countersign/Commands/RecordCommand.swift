import ArgumentParser
import Foundation
import SessionRecorder

struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record an SSH session: run by sshd as the certificate's forced command, never by hand.",
        discussion: """
            A certificate for a request whose policy says `record: true` carries the critical option \
            force-command (the gateway's --recorder-command, e.g. `/usr/local/bin/countersign record --gateway \
            https://gateway.example --spool-dir /var/spool/countersign`) and the extension recording@countersign.dev \
            naming its recording and the token that may append to it. sshd then runs this recorder for every session, \
            with or without a command (SSH_ORIGINAL_COMMAND), and the user cannot skip it.

            The host's sshd_config needs:
              TrustedUserCAKeys FILE   (the gateway's /v1/ssh/ca.pub)
              ExposeAuthInfo yes       (SSH_USER_AUTH names the login's certificate)
            Without SSH_USER_AUTH, or without the recording extension in its certificate, the session is refused \
            (exit 1).

            With a terminal (an interactive login, ssh -t) the user's login shell, or `shell -c` the command, runs on \
            a pseudo-terminal of its own of the same size; resizes and SIGHUP, SIGTERM and SIGINT are passed on; \
            what it prints (and, with record-input@countersign.dev, what is typed) is recorded. Without one \
            (`ssh host cmd`, scp) the command runs on pipes and its output and error are recorded. The exit status \
            is the session's (128 plus the signal that ended it).

            Each run is one session under the certificate, with a session id of its own: the gateway records it in \
            the certificate's recording (the first session) or in one of its own (a later one). Every event is \
            written first to SPOOL-DIR/<certificate's recording id>.<session>.cast (asciicast v2, mode 0600; the \
            directory is made 0700 if missing: on a shared host create it 1733 or per user), fsynced once a second, \
            and uploaded in chunks of at most 250 ms or 64 KiB, consecutive waiting chunks together up to 1 MiB. If \
            the spool cannot be created the session is refused (exit 1); if it fails later the session goes on and \
            is uploaded from memory. When the gateway cannot be reached, recording goes on and the chunks are sent \
            when it answers again; at the end the recorder waits up to --upload-grace seconds for it, and what is \
            not sent stays in the spool (the .state file beside it names the recording the gateway gave the session \
            and how far the upload got).
            """
    )

    @Option(help: "The gateway's URL, http:// or https://.") var gateway: String
    @Option(help: "Where the local copy of each recording is written first.") var spoolDir: String
    @Option(help: "Seconds to keep trying an unreachable gateway after the session ends.") var uploadGrace: Double = 15
    @Option(help: .hidden) var retryCap: Double = 10
    @Option(help: .hidden) var memoryLimit: Int = 16 * 1024 * 1024

    func validate() throws {
        guard gateway.hasPrefix("http://") || gateway.hasPrefix("https://") else {
            throw ValidationError("--gateway must be an http:// or https:// URL")
        }
        guard uploadGrace >= 0 else { throw ValidationError("--upload-grace is at least 0 seconds") }
        guard retryCap > 0, memoryLimit >= 64 * 1024 else { throw ValidationError("--retry-cap is positive, --memory-limit at least 65536") }
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let credentials: RecordingCredentials
        do {
            credentials = try RecordingCredentials.fromSSHUserAuth(environment["SSH_USER_AUTH"])
        } catch {
            FileHandle.standardError.write(Data("countersign record: \(error.message); the session was not started\n".utf8))
            throw ExitCode(1)
        }
        var configuration = RecorderConfiguration(
            gateway: gateway.hasSuffix("/") ? String(gateway.dropLast()) : gateway, spoolDirectory: spoolDir, credentials: credentials,
            program: .userShell(command: environment["SSH_ORIGINAL_COMMAND"]), hostName: Self.hostName(),
            terminalType: environment["TERM"]
        )
        configuration.grace = .milliseconds(Int64(uploadGrace * 1000))
        configuration.retryCap = .milliseconds(Int64(retryCap * 1000))
        configuration.memoryLimit = memoryLimit
        throw ExitCode(SessionRecorder.run(configuration))
    }

    /// The host's own name (gethostname: no DNS lookup before the session starts).
    private static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
