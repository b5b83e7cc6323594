import Asciicast
import CountersignCore
import Crypto

/// What the gateway checks of an uploaded chunk before the rules judge it: whole asciicast v2
/// lines, the header first in the first chunk only, events that do not go back in time, and
/// its size and SHA-256.
enum ChunkInspection {
    static func chunk(
        _ bytes: [UInt8], sequence: Int, final: RecordingChunk.Final?, lostBytes: Int
    ) throws(GatewayError) -> RecordingChunk {
        var startsWithHeader = false
        var first: Int64?
        var last: Int64?
        if !bytes.isEmpty {
            guard bytes.last == 0x0A else { throw invalid("a chunk is whole lines, each ending in a newline") }
            var lineNumber = 0
            for line in bytes.dropLast().split(separator: 0x0A, omittingEmptySubsequences: false) {
                lineNumber += 1
                do throws(AsciicastFormatError) {
                    if lineNumber == 1, line.first == UInt8(ascii: "{") {
                        _ = try AsciicastHeader(jsonLine: line)
                        startsWithHeader = true
                        continue
                    }
                    let time = try AsciicastEvent.time(ofJSONLine: line).microseconds
                    if let last, time < last { throw AsciicastFormatError(.timeWentBack, "an event goes back in time", line: lineNumber) }
                    first = first ?? time
                    last = time
                } catch {
                    throw invalid("line \(lineNumber): \(error.message)")
                }
            }
        }
        do throws(DomainError) {
            return try RecordingChunk(
                sequence: sequence, byteCount: bytes.count, digest: Array(SHA256.hash(data: bytes)), startsWithHeader: startsWithHeader,
                firstEventTime: first, lastEventTime: last, final: final, lostBytes: lostBytes
            )
        } catch {
            throw GatewayError(error)
        }
    }

    private static func invalid(_ message: String) -> GatewayError {
        GatewayError(status: .unprocessableContent, code: RecordingRefusal.Code.invalid.rawValue, message: message)
    }
}
