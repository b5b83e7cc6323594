import Asciicast
import CountersignAPI
import CountersignCore
import CountersignStore
import Foundation

/// Searches the text of recordings a caller may see, newest first, for what was typed or shown:
/// each recording read back through its proofs, rendered as the terminal showed it, matched
/// case-insensitively. Bounded by the recordings and bytes one search reads.
struct RecordingSearch: Sendable {
    static let maximumRecordings = 200
    static let maximumBytes = 256 << 20
    static let limits = AsciicastLimits(maximumLineLength: RecordingChunk.maximumByteCount, maximumTotalSize: maximumBytes, maximumEventCount: 10_000_000)

    let store: any GatewayStore
    let files: RecordingFiles

    func matches(_ query: String, in recordings: [Recording], limit: Int) async throws -> RecordingSearchView {
        var matches: [RecordingMatchView] = []
        var skipped: [String] = []
        var budget = Self.maximumBytes
        for recording in recordings where matches.count < limit {
            guard recording.progress.byteCount <= budget else {
                skipped.append(recording.id.rawValue)
                continue
            }
            budget -= recording.progress.byteCount
            let found: [TranscriptSearch.Match]
            do {
                let contents = try files.contents(of: recording.id, chunks: try await store.chunks(of: recording.id))
                guard !contents.isEmpty else { continue }
                found = try TranscriptSearch(recording: try AsciicastFile(parsing: contents, limits: Self.limits)).matches(query, limit: limit - matches.count)
            } catch let error as AsciicastFormatError where error.code == .invalidQuery {
                throw GatewayError.invalidQuery("q: \(error.message)")
            } catch is AsciicastFormatError {
                skipped.append(recording.id.rawValue)
                continue
            } catch let error as StoreError where error.code == .integrityViolation {
                skipped.append(recording.id.rawValue)
                continue
            }
            matches += found.map { match in
                RecordingMatchView(
                    recordingId: recording.id.rawValue, requestId: recording.requestID.rawValue, user: recording.user.rawValue, host: recording.host,
                    startedAt: recording.start?.receivedAt, kind: match.kind.rawValue, offsetSeconds: Double(match.time.microseconds) / 1_000_000,
                    text: match.text
                )
            }
        }
        return RecordingSearchView(matches: matches, skipped: skipped)
    }
}
