import CountersignCore
import HTTPTypes
import Hummingbird

/// The `{id}` and `{seq}` of the recording routes, and the query of an upload.
enum RecordingPath {
    /// On a refusal that moves the recorder, where the recording stands.
    static let nextSequenceHeader = HTTPField.Name("Countersign-Next-Seq")!

    static func id(_ context: GatewayContext) throws(GatewayError) -> RecordingID {
        guard let raw = context.parameters.get("id") else { throw GatewayError.notFound("recording") }
        do {
            return try RecordingID(raw)
        } catch {
            throw GatewayError.notFound("recording \(raw.prefix(40))")
        }
    }
}

struct ChunkParameters {
    let sequence: Int
    let final: RecordingChunk.Final?
    let lostBytes: Int

    init(path: Parameters, query: Parameters) throws(GatewayError) {
        guard let raw = path.get("seq"), let sequence = Int(raw), (0..<Recording.maximumChunkCount).contains(sequence), String(sequence) == raw else {
            throw GatewayError.invalidQuery("a chunk's sequence number is a whole number from 0 to \(Recording.maximumChunkCount - 1)")
        }
        self.sequence = sequence
        let final: Bool
        switch query.get("final") {
        case nil, "false": final = false
        case "true": final = true
        default: throw GatewayError.invalidQuery("final is true or false")
        }
        let exitStatus = try query.get("exit_status").map { raw throws(GatewayError) in
            guard let status = Int(String(raw)), RecordingChunk.Final.exitStatusRange.contains(status) else {
                throw GatewayError.invalidQuery("exit_status is a whole number from 0 to 255")
            }
            return status
        }
        switch (final, exitStatus) {
        case (true, let status?):
            do throws(DomainError) { self.final = try RecordingChunk.Final(exitStatus: status) } catch { throw GatewayError(error) }
        case (false, nil): self.final = nil
        case (true, nil): throw GatewayError.invalidQuery("the final chunk carries the session's exit_status")
        case (false, _?): throw GatewayError.invalidQuery("exit_status comes with final=true only")
        }
        lostBytes = try query.get("lost_bytes").map { raw throws(GatewayError) in
            guard let lost = Int(String(raw)), (0...Recording.maximumByteCount).contains(lost) else {
                throw GatewayError.invalidQuery("lost_bytes is a whole number from 0 to \(Recording.maximumByteCount)")
            }
            return lost
        } ?? 0
    }
}
