import CountersignWeb
import Hummingbird
import HTTPTypes

/// A rendered page or fragment with the headers every page carries (`WebSecurityHeaders`).
struct HTMLResponse: ResponseGenerator {
    let html: String
    var status: HTTPResponse.Status = .ok
    var cookies: [Cookie] = []

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
        for cookie in cookies { response.setCookie(cookie) }
        return response
    }
}

/// `303 See Other` after a form post or to the login page, so a reload never posts again.
struct SeeOther: ResponseGenerator {
    let location: String
    var cookies: [Cookie] = []

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = Response(status: .seeOther, headers: [.location: location])
        for cookie in cookies { response.setCookie(cookie) }
        return response
    }
}

extension Response {
    mutating func addPageSecurityHeaders() {
        for (name, value) in WebSecurityHeaders.page {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
    }
}
