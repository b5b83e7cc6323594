import CountersignAPI
import Foundation
import Hummingbird
import HTTPTypes

/// A JSON answer with the API's encoder, a chosen status, and `Cache-Control: no-store` (answers
/// carry tokens and request details that no proxy or browser cache should keep).
struct JSONResponse<Body: Encodable & Sendable>: ResponseGenerator {
    var status: HTTPResponse.Status = .ok
    var headers: HTTPFields = [:]
    let body: Body

    init(_ body: Body, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) {
        self.body = body
        self.status = status
        self.headers = headers
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        fields[.cacheControl] = "no-store"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: try APIJSONEncoder.encode(body))))
    }
}
