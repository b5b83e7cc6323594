import ArgumentParser
import Asciicast
import CountersignAPI
import Foundation
import SecureFiles

struct RecordingsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recordings",
        abstract: "List, export and search session recordings (auditors: all; anyone else: their own).",
        subcommands: [ListRecordings.self, ExportRecording.self, SearchRecordings.self]
    )
}

struct ListRecordings: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List recordings, newest first, with their state.",
        discussion: """
            States: awaiting (the certificate is issued, no session yet), unused (it expired unused), streaming, \
            complete, incomplete (a gap, or the recorder fell silent without its final chunk) and missing (a recorder \
            started and nothing arrived). The last two are marked ALARM: a session ran and its record is not whole.
            """
    )

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Only the recordings of this request.") var request: String?
    @Option(help: "Only the recordings of this user's sessions.") var user: String?
    @Option(help: "At most this many (1-200).") var limit = 50

    func run() async throws {
        try await reportingFailures {
            var query = [URLQueryItem(name: "limit", value: String(limit))]
            if let request { query.append(URLQueryItem(name: "request", value: request)) }
            if let user { query.append(URLQueryItem(name: "user", value: user)) }
            let list = try await gateway.client().get("/v1/recordings" + QueryString.encode(query), as: RecordingListView.self)
            if output.json {
                try JSONOutput.print(list)
            } else if list.recordings.isEmpty {
                print("No recordings.")
            } else {
                list.recordings.map(RecordingText.row).forEach { print($0) }
            }
        }
    }
}

struct ExportRecording: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a recording as its asciicast v2 file, or as the text the user saw.",
        discussion: """
            --format cast writes the recording as uploaded (asciinema play and asciinema cat read it). --format text \
            replays it through a terminal emulator and writes what the screen showed: lines as they scrolled off the top, \
            lines erased by clear kept in place, a full-screen program (the alternate screen) as its last frame when it \
            was left, then the final screen; colours and other attributes are dropped. The gateway checks every chunk \
            against the digest stored when it was uploaded before it answers. Without --out the export goes to standard \
            output; with --out FILE a new file is made, mode 0600 (an existing one is never overwritten).
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case cast, text
    }

    @OptionGroup var gateway: GatewayOptions
    @Argument(help: "Recording id.") var id: String
    @Option(help: "cast or text.") var format: Format = .cast
    @Option(help: "Write to this new file instead of standard output.") var out: String?

    func run() async throws {
        try await reportingFailures {
            let cast = try await RecordingText.fetchCast(id, from: gateway)
            let bytes: [UInt8]
            switch format {
            case .cast: bytes = cast
            case .text: bytes = Array(Transcript(recording: try RecordingText.parse(cast)).text.utf8)
            }
            if let out {
                do throws(SecureFileError) {
                    try SecureFiles.writeNew(out, bytes: bytes, mode: 0o600)
                } catch {
                    throw CLIFailure.input("could not write \(out): \(error.message)")
                }
            } else {
                FileHandle.standardOutput.write(Data(bytes))
            }
        }
    }
}

struct SearchRecordings: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Find where a text was typed or shown in the recordings you may see.",
        discussion: """
            Case-insensitive. Typed lines are matched with backspace, Ctrl-U and Ctrl-W applied; output as the terminal \
            showed it. Each match names the recording, its request, who, where, when the session started, and how far \
            into the session (+SECONDS). The gateway reads at most 200 recordings and 256 MiB per search and lists any \
            it skipped.
            """
    )

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The text to find (1-256 characters).") var query: String
    @Option(help: "Only the recordings of this request.") var request: String?
    @Option(help: "Only the recordings of this user's sessions.") var user: String?

    func run() async throws {
        try await reportingFailures {
            var items = [URLQueryItem(name: "q", value: query)]
            if let request { items.append(URLQueryItem(name: "request", value: request)) }
            if let user { items.append(URLQueryItem(name: "user", value: user)) }
            let found = try await gateway.client().get("/v1/recordings/search" + QueryString.encode(items), as: RecordingSearchView.self)
            if output.json {
                try JSONOutput.print(found)
                return
            }
            if found.matches.isEmpty { print("No matches.") }
            for match in found.matches {
                let started = match.startedAt.map(TextFormat.time) ?? "-"
                print("\(match.recordingId)  request \(match.requestId)  \(match.user)@\(match.host)  \(started)  +\(String(format: "%.1f", match.offsetSeconds))s  \(match.kind)  \(match.text)")
            }
            if !found.skipped.isEmpty { print("Not searched: \(found.skipped.joined(separator: ", "))") }
        }
    }
}

struct Play: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Play a recording in this terminal, with its timing.",
        discussion: "Output only, as the user saw it. --speed 2 plays twice as fast; --idle-limit 2 shortens every pause longer than 2 s to 2 s."
    )

    @OptionGroup var gateway: GatewayOptions
    @Argument(help: "Recording id.") var id: String
    @Option(help: "Playback speed (0.1-100).") var speed = 1.0
    @Option(help: "Longest pause, in seconds (0.1-3600).") var idleLimit: Double?

    func run() async throws {
        try await reportingFailures {
            let recording = try RecordingText.parse(try await RecordingText.fetchCast(id, from: gateway))
            let playback: AsciicastPlayback
            do throws(AsciicastFormatError) {
                playback = try AsciicastPlayback(recording: recording, speed: speed, idleLimit: idleLimit)
            } catch {
                throw CLIFailure.input(error.message)
            }
            for step in playback.steps {
                if step.pause > 0 { try? await Task.sleep(for: .microseconds(step.pause)) }
                FileHandle.standardOutput.write(Data(step.text.utf8))
            }
        }
    }
}

/// How recordings read in a terminal.
enum RecordingText {
    static let limits = AsciicastLimits(maximumLineLength: 1 << 20, maximumTotalSize: 4 << 30, maximumEventCount: 50_000_000)

    static func row(_ recording: RecordingView) -> String {
        let alarm = recording.alarm ? "  ALARM" : ""
        let started = recording.startedAt.map(TextFormat.time) ?? "not started"
        return "\(recording.id)  \(recording.state)\(alarm)  \(recording.user) as \(recording.login)@\(recording.host)  \(started)  request \(recording.requestId)  \(recording.chunks) chunks, \(recording.bytes) bytes"
    }

    static func fetchCast(_ id: String, from gateway: GatewayOptions) async throws(CLIFailure) -> [UInt8] {
        guard id.utf8.count == 20, id.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x7A).contains($0) }) else {
            throw CLIFailure.input("a recording id is 20 characters of lowercase base32")
        }
        return try await gateway.client().getBytes("/v1/recordings/\(id)/cast")
    }

    static func parse(_ bytes: [UInt8]) throws(CLIFailure) -> AsciicastFile {
        do throws(AsciicastFormatError) {
            return try AsciicastFile(parsing: bytes, limits: limits)
        } catch {
            throw CLIFailure.refused("the recording is not a readable asciicast file: \(error.message)")
        }
    }
}
