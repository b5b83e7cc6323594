import Foundation
import Glibc
import Testing
import TestSupport
@testable import SessionRecorder

/// `countersign record` for `ssh host cmd` (no terminal: pipes), and every way it refuses to start
/// a session it could not record.
@Suite("countersign record without a terminal, and failing closed", .timeLimit(.minutes(2)))
struct RecorderPipeTests {
    struct Run {
        let status: Int32
        let output: String
        let error: String
    }

    /// Runs the recorder to its end with `input` on standard input and its output in files.
    static func run(_ recorder: RecorderProcess, auth: String?, command: String?, input: String = "", prefix: [String] = [], spool: String? = nil) throws -> Run {
        let arguments = prefix + RecorderProcess.arguments(spool: spool ?? recorder.spoolDirectory)
        let result = try ChildProcess.run(
            arguments, input: input, environment: recorder.environment(authFile: auth, command: command), timeout: 60, in: recorder.directory.path
        )
        return Run(status: result.status, output: result.output, error: result.error)
    }

    static func withScratch<Value: Sendable>(_ body: @escaping @Sendable (RecorderProcess) throws -> Value) async throws -> Value {
        let directory = try RecorderFixtures.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await blocking { try body(RecorderProcess(directory: directory)) }
    }

    @Test("a command without a terminal runs on pipes: output and error pass through and are recorded, input reaches it, its status is the recorder's")
    func pipes() async throws {
        try await Self.withScratch { recorder in
            let auth = try RecorderFixtures.authFile(in: recorder.directory, try RecorderFixtures.certificateLine())
            let run = try Self.run(recorder, auth: auth, command: "printf 'out\\n'; printf 'err\\n' >&2; tr a-z A-Z; exit 4", input: "hello world\n")
            #expect(run.status == 4, "\(run.error)")
            #expect(run.output == "out\nHELLO WORLD\n")
            #expect(run.error.hasPrefix("err\n"), "\(run.error)")
            let spool = try recorder.spool()
            #expect(RecorderProcess.printed(spool).count == "out\nerr\nHELLO WORLD\n".count)
            #expect(Set(RecorderProcess.printed(spool).split(separator: "\n")) == ["out", "err", "HELLO WORLD"])
            #expect(RecorderProcess.typed(spool) == "hello world\n")
            #expect(spool.header.width == 80 && spool.header.height == 24, "no terminal: the format's usual size")
        }
    }

    @Test("megabytes of output through pipes reach the recorder's output and its spool whole, in 64 KiB reads")
    func bulk() async throws {
        try await Self.withScratch { recorder in
            let auth = try RecorderFixtures.authFile(in: recorder.directory, try RecorderFixtures.certificateLine())
            let run = try Self.run(recorder, auth: auth, command: "seq 1 400000")
            #expect(run.status == 0)
            let expected = (1...400_000).map(String.init).joined(separator: "\n") + "\n"
            #expect(run.output == expected)
            #expect(RecorderProcess.printed(try recorder.spool()) == expected)
        }
    }

    @Test("an unusable spool directory refuses the session: exit 1, a message, and the command never runs", arguments: ["below-a-file", "a-file"])
    func unwritableSpool(_ kind: String) async throws {
        try await Self.withScratch { recorder in
            let auth = try RecorderFixtures.authFile(in: recorder.directory, try RecorderFixtures.certificateLine())
            let file = recorder.directory.appendingPathComponent("plain-file").path
            #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
            let marker = recorder.directory.appendingPathComponent("ran").path
            let spool = kind == "a-file" ? file : file + "/spool"
            let run = try Self.run(recorder, auth: auth, command: "touch \(marker)", spool: spool)
            #expect(run.status == 1)
            #expect(run.error.contains("spool") && run.error.contains("the session was not started"), "\(run.error)")
            #expect(!FileManager.default.fileExists(atPath: marker), "the command never ran")
        }
    }

    @Test("two sessions under one certificate spool apart: each its own file with its own output, its state file naming the certificate's recording and its own session")
    func sessionsSpoolApart() async throws {
        try await Self.withScratch { recorder in
            let auth = try RecorderFixtures.authFile(in: recorder.directory, try RecorderFixtures.certificateLine())
            #expect(try Self.run(recorder, auth: auth, command: "echo first").status == 0)
            #expect(try Self.run(recorder, auth: auth, command: "echo second").status == 0)
            let spools = recorder.spoolFiles
            #expect(spools.count == 2, "\(spools)")
            #expect(Set(try spools.map { RecorderProcess.printed(try RecorderProcess.spool(at: $0)) }) == ["first\n", "second\n"])
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            var sessions: Set<String> = []
            for spool in spools {
                let name = String(spool.dropLast(".cast".count))
                let state = try decoder.decode(UploadStateFile.Contents.self, from: Data(contentsOf: URL(fileURLWithPath: name + ".state")))
                #expect(state.certificateRecordingId == RecorderFixtures.recordingID && name.hasSuffix("/\(RecorderFixtures.recordingID).\(state.session)"))
                #expect(state.recordingId == nil && !state.complete, "no gateway answered the start: no recording yet")
                sessions.insert(state.session)
            }
            #expect(sessions.count == 2)
        }
    }

    @Test("without SSH_USER_AUTH, with a file that is not there, or with a certificate that names no recording, the session is refused")
    func noRecording() async throws {
        try await Self.withScratch { recorder in
            let marker = recorder.directory.appendingPathComponent("ran").path
            let withoutExtension = try RecorderFixtures.authFile(in: recorder.directory, try RecorderFixtures.certificateLine(recording: nil))
            for (label, auth, says) in [
                ("no SSH_USER_AUTH", nil, "SSH_USER_AUTH is not set"),
                ("a missing file", recorder.directory.appendingPathComponent("gone").path, "cannot read"),
                ("no recording extension", withoutExtension, "recording@countersign.dev"),
            ] as [(String, String?, String)] {
                let run = try Self.run(recorder, auth: auth, command: "touch \(marker)")
                #expect(run.status == 1, "\(label)")
                #expect(run.error.contains(says) && run.error.contains("not started"), "\(label): \(run.error)")
                #expect(!FileManager.default.fileExists(atPath: marker), "\(label)")
                #expect(recorder.spoolFiles.isEmpty, "\(label): nothing recorded, no spool")
            }
        }
    }
}
