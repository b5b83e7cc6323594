import Asciicast
import CountersignAPI
import CountersignCore
import CountersignStore
import Hummingbird

/// `GET /v1/recordings/{id}/frames`: a page of the screens a recording showed, for the request
/// page's player. Seen by whoever may see the recording (auditors and admins, the session's
/// user); its bytes are read through their proofs like the cast's.
struct RecordingFramesController {
    let store: any GatewayStore
    let files: RecordingFiles

    /// A player reads a recording again for each page: the bytes it reads at once are bounded
    /// below the search's. Bigger ones are exported with `countersign recordings export`.
    static let maximumBytes = 64 << 20
    static let limits = AsciicastLimits(
        maximumLineLength: RecordingChunk.maximumByteCount, maximumTotalSize: maximumBytes, maximumEventCount: RecordingFrames.maximumFrom
    )

    func register(on routes: RouteRecorder) {
        routes.on(.get, "/v1/recordings/{id}/frames", use: frames)
    }

    @Sendable func frames(_ request: Request, context: GatewayContext) async throws -> JSONResponse<RecordingFramesView> {
        let caller = try context.requireIdentity().actor
        let window = try FramesWindow(request.uri.queryParameters)
        let id = try RecordingPath.id(context)
        // A recording the caller may not see does not exist for them.
        guard let recording = try await store.recording(id), try await RecordingRules.mayView(recording, actor: caller, in: store) else {
            throw GatewayError.notFound("recording \(id)")
        }
        guard recording.progress.byteCount <= Self.maximumBytes else {
            throw GatewayError(
                status: .unprocessableContent, code: APIErrorCode.recordingUnplayable,
                message: "the page plays recordings of at most \(Self.maximumBytes >> 20) MiB; export this one with countersign recordings export"
            )
        }
        let contents = try files.contents(of: recording.id, chunks: try await store.chunks(of: recording.id))
        guard !contents.isEmpty else { return JSONResponse(RecordingFramesView(frames: [], next: nil, duration: 0)) }
        let file: AsciicastFile
        do {
            file = try AsciicastFile(parsing: contents, limits: Self.limits)
        } catch {
            // Every chunk was checked on upload and against its digest now: this is not expected.
            throw GatewayError(status: .unprocessableContent, code: APIErrorCode.recordingUnplayable, message: "the recording does not read as asciicast v2: \(error.message)")
        }
        return JSONResponse(RecordingFrames.page(of: file, from: window.from, limit: window.limit))
    }
}

/// `from` and `limit` of a frames page.
struct FramesWindow {
    let from: Int
    let limit: Int

    init(_ query: Parameters) throws(GatewayError) {
        from = try Self.number(query, "from", in: 0...RecordingFrames.maximumFrom) ?? 0
        limit = try Self.number(query, "limit", in: 1...RecordingFrames.maximumLimit) ?? RecordingFrames.defaultLimit
    }

    private static func number(_ query: Parameters, _ name: String, in range: ClosedRange<Int>) throws(GatewayError) -> Int? {
        try query.get(name).map { raw throws(GatewayError) in
            guard let value = Int(String(raw)), range.contains(value) else {
                throw GatewayError.invalidQuery("\(name) is a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return value
        }
    }
}
