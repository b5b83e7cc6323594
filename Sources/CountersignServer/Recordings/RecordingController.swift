import Asciicast
import CountersignAPI
import CountersignCore
import CountersignStore
import Foundation
import HTTPTypes
import NIOCore
import Hummingbird

/// The recording routes: the recorder's start call and chunk uploads (with the upload token its
/// certificate carries), and the listings and bytes auditors and the session's user read.
struct RecordingController {
    let store: any GatewayStore
    let uploads: RecordingUploadAuthority
    let files: RecordingFiles
    let clock: any WallClock
    let bodyLimit: Int

    static let defaultPageSize = 50
    static let maximumPageSize = 200

    func register(on routes: RouteRecorder) {
        routes.on(.post, "/v1/recordings/{id}/start", use: start)
        routes.on(.post, "/v1/recordings/{id}/chunks/{seq}", use: upload)
        routes.on(.get, "/v1/recordings", use: list)
        routes.on(.get, "/v1/recordings/search", use: search)
        routes.on(.get, "/v1/recordings/{id}", use: show)
        routes.on(.get, "/v1/recordings/{id}/cast", use: cast)
    }

    /// A session's start. The certificate's token starts its first session in the certificate's
    /// own recording and each later one (another session id) in a recording of its own, whose
    /// token is the certificate's derived for the session: the recorder derives it too, so the
    /// answer carries only the recording's id, and a retried start finds the same recording.
    @Sendable func start(_ request: Request, context: GatewayContext) async throws -> JSONResponse<RecordingProgressView> {
        let id = try RecordingPath.id(context)
        let (_, token) = try await uploads.recording(id, in: context)
        let body = try await BodyDecoding.decode(RecordingStartBody.self, from: request, limit: bodyLimit)
        let now = clock.now()
        let report: RecordingStart
        let session: RecordingSessionID
        do throws(DomainError) {
            for (name, value) in [("width", body.width), ("height", body.height)] {
                if let value, !(1...1000).contains(value) { throw DomainError(.invalidField, "\(name) must be between 1 and 1000") }
            }
            session = try RecordingSessionID(body.session)
            report = try RecordingStart(reportedHost: body.host, command: body.command, hasTerminal: body.pty, receivedAt: now, session: session)
        } catch {
            throw GatewayError(error)
        }
        let newID = RecordingID.random()
        let sessionTokenHash = token.derived(for: session).hash
        let started: Recording
        do {
            started = try await store.startSession(session, on: id) { certificate, existing, opened in
                try RecordingRules.startSession(
                    report, on: certificate, existing: existing, sessionsOpened: opened, newID: newID, uploadTokenHash: sessionTokenHash
                )
            }
        } catch let refusal as RecordingRefusal {
            throw GatewayError(
                status: refusal.code == .sessionInvalid ? .unprocessableContent : .conflict, code: refusal.code.rawValue, message: refusal.message
            )
        }
        return JSONResponse(progress(started, at: now))
    }

    @Sendable func upload(_ request: Request, context: GatewayContext) async throws -> JSONResponse<RecordingProgressView> {
        let id = try RecordingPath.id(context)
        _ = try await uploads.recording(id, in: context)
        if let contentType = request.headers[.contentType], !contentType.lowercased().hasPrefix("application/x-asciicast") {
            throw GatewayError(status: .unsupportedMediaType, code: APIErrorCode.unsupportedMediaType, message: "send a chunk as application/x-asciicast")
        }
        let parameters = try ChunkParameters(path: context.parameters, query: request.uri.queryParameters)
        let bytes: [UInt8]
        do {
            bytes = Array(buffer: try await request.body.collect(upTo: RecordingChunk.maximumByteCount))
        } catch is NIOTooManyBytesError {
            throw GatewayError(
                status: .contentTooLarge, code: APIErrorCode.chunkTooLarge, message: "a chunk is at most \(RecordingChunk.maximumByteCount) bytes",
                headers: [.connection: "close"]
            )
        }
        let chunk = try ChunkInspection.chunk(bytes, sequence: parameters.sequence, final: parameters.final, lostBytes: parameters.lostBytes)
        let now = clock.now()
        let files = files
        do {
            _ = try await store.appendChunk(chunk, to: id) { recording, storedDigest in
                try RecordingRules.accept(chunk, into: recording, storedDigest: storedDigest, at: now)
            } keepBytes: {
                try files.keep(bytes, of: id, sequence: chunk.sequence)
            }
        } catch let refusal as RecordingRefusal {
            throw try await answer(refusal, to: chunk, of: id, at: now)
        }
        guard let stored = try await store.recording(id) else { throw GatewayError.notFound("recording \(id)") }
        return JSONResponse(progress(stored, at: now))
    }

    /// A refused upload's answer. Other bytes under a stored number are evidence of tampering
    /// (a user's edited spool, a forged upload): audited, with the digests, before answering.
    private func answer(_ refusal: RecordingRefusal, to chunk: RecordingChunk, of id: RecordingID, at now: Date) async throws -> GatewayError {
        var headers: HTTPFields = [:]
        if let next = refusal.expectedSequence { headers[RecordingPath.nextSequenceHeader] = String(next) }
        switch refusal.code {
        case .conflict:
            if let recording = try await store.recording(id) {
                _ = try await store.appendAudit([AuditEvent(
                    time: now, actor: recording.user.rawValue, action: .recordingConflict, subject: id.rawValue,
                    details: ["request": recording.requestID.rawValue, "chunk": String(chunk.sequence), "digest": chunk.digest.hexString]
                )])
            }
            return GatewayError(status: .conflict, code: refusal.code.rawValue, message: refusal.message, headers: headers)
        case .outOfOrder, .closed, .full, .sessionsExhausted:
            return GatewayError(status: .conflict, code: refusal.code.rawValue, message: refusal.message, headers: headers)
        case .invalid, .sessionInvalid:
            return GatewayError(status: .unprocessableContent, code: refusal.code.rawValue, message: refusal.message, headers: headers)
        }
    }

    @Sendable func list(_ request: Request, context: GatewayContext) async throws -> JSONResponse<RecordingListView> {
        let caller = try context.requireIdentity().actor
        let now = clock.now()
        let found = try await visibleRecordings(request.uri.queryParameters, for: caller)
        return JSONResponse(RecordingListView(recordings: found.map { RecordingView($0, at: now) }))
    }

    /// `q` in what was typed and shown in the recordings the caller may see (narrowed by
    /// `request` and `user` as for the listing), newest recording first.
    @Sendable func search(_ request: Request, context: GatewayContext) async throws -> JSONResponse<RecordingSearchView> {
        let caller = try context.requireIdentity().actor
        let query = request.uri.queryParameters
        guard let text = query.get("q").map { String($0) }, (1...TranscriptSearch.maximumQueryLength).contains(text.count) else {
            throw GatewayError.invalidQuery("q is 1 to \(TranscriptSearch.maximumQueryLength) characters")
        }
        let recordings = try await visibleRecordings(query, for: caller, defaultLimit: RecordingSearch.maximumRecordings)
        let limit = try Self.limit(query, name: "matches", default: Self.defaultPageSize)
        return JSONResponse(try await RecordingSearch(store: store, files: files).matches(text, in: recordings, limit: limit))
    }

    private func visibleRecordings(_ query: Parameters, for caller: Actor, defaultLimit: Int = defaultPageSize) async throws -> [Recording] {
        let requestID = try query.get("request").map { raw throws(GatewayError) in
            do throws(DomainError) { return try CountersignCore.RequestID(String(raw)) } catch { throw GatewayError.invalidQuery("request: \(error.message)") }
        }
        var user = try query.get("user").map { raw throws(GatewayError) in
            do throws(DomainError) { return try Username(String(raw)) } catch { throw GatewayError.invalidQuery("user: \(error.message)") }
        }
        let limit = try Self.limit(query, name: "limit", default: defaultLimit)
        // A break-glass grant's reviewers see its sessions' recordings, asked for by the grant.
        let request = try await requestID.asyncMap { try await store.request($0) } ?? nil
        if !(request.map { RecordingRules.mayViewEvery(of: $0, actor: caller) } ?? RequestRules.oversees(caller)) {
            // Anyone else sees their own sessions: asking for another user's finds nothing.
            if let asked = user, asked != caller.name { return [] }
            user = caller.name
        }
        return try await store.recordings(of: requestID, user: user, limit: limit).filter { RecordingRules.mayView($0, actor: caller, request: request) }
    }

    private static func limit(_ query: Parameters, name: String, default: Int) throws(GatewayError) -> Int {
        try query.get(name).map { raw throws(GatewayError) in
            guard let limit = Int(String(raw)), (1...maximumPageSize).contains(limit) else {
                throw GatewayError.invalidQuery("\(name) must be between 1 and \(maximumPageSize)")
            }
            return limit
        } ?? `default`
    }

    @Sendable func show(_ request: Request, context: GatewayContext) async throws -> JSONResponse<RecordingView> {
        JSONResponse(RecordingView(try await visibleRecording(context), at: clock.now()))
    }

    /// The recording's asciicast v2 file, every chunk checked against its stored size and digest.
    @Sendable func cast(_ request: Request, context: GatewayContext) async throws -> Response {
        let recording = try await visibleRecording(context)
        let contents = try files.contents(of: recording.id, chunks: try await store.chunks(of: recording.id))
        return Response(
            status: .ok,
            headers: [
                .contentType: "application/x-asciicast", .cacheControl: "no-store",
                .contentDisposition: "attachment; filename=\"\(recording.id.rawValue).cast\"",
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: contents))
        )
    }

    /// A recording the caller may not see does not exist for them.
    private func visibleRecording(_ context: GatewayContext) async throws -> Recording {
        let caller = try context.requireIdentity().actor
        let id = try RecordingPath.id(context)
        guard let recording = try await store.recording(id), try await RecordingRules.mayView(recording, actor: caller, in: store) else {
            throw GatewayError.notFound("recording \(id)")
        }
        return recording
    }

    private func progress(_ recording: Recording, at now: Date) -> RecordingProgressView {
        RecordingProgressView(recordingId: recording.id.rawValue, nextSeq: recording.progress.nextSequence, state: RecordingRules.state(of: recording, at: now).rawValue)
    }
}
