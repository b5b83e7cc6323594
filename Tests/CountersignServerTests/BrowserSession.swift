import CountersignAPI
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// A browser's side of the reviewer pages, without the browser: it keeps the cookies the gateway
/// sets, logs in through the form, and reads the anti-forgery token out of the page it was served.
struct BrowserSession {
    let api: API
    var cookies: [String: String] = [:]

    init(_ api: API) {
        self.api = api
    }

    static func loggedIn(_ user: String, on api: API) async throws -> BrowserSession {
        var browser = BrowserSession(api)
        let form = try await browser.get("/login")
        let posted = try await browser.post("/login", [
            "login_token": try #require(Self.value(of: "login_token", in: String(buffer: form.body))),
            "username": user, "password": "\(user)-demo-pw", "next": "/reviews",
        ])
        try #require(posted.status == .seeOther, "logging in answered \(posted.status): \(String(buffer: posted.body))")
        return browser
    }

    mutating func get(_ path: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await send(.get, path, headers: headers, body: nil)
    }

    mutating func post(_ path: String, _ fields: [String: String], contentType: String = "application/x-www-form-urlencoded") async throws -> TestResponse {
        try await post(path, raw: Self.encode(fields), contentType: contentType)
    }

    mutating func post(_ path: String, raw: String, contentType: String = "application/x-www-form-urlencoded") async throws -> TestResponse {
        try await send(.post, path, headers: [.contentType: contentType], body: ByteBuffer(string: raw))
    }

    /// The page's anti-forgery token, as its forms and scripts carry it.
    mutating func csrfToken(from path: String = "/reviews") async throws -> String {
        let page = String(buffer: try await get(path).body)
        let marker = #"<meta name="csrf-token" content=""#
        let start = try #require(page.range(of: marker)).upperBound
        return String(page[start...].prefix { $0 != "\"" })
    }

    mutating func send(_ method: HTTPRequest.Method, _ path: String, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        var fields = headers
        if !cookies.isEmpty {
            fields[.cookie] = cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
        }
        let response = try await api.client.execute(uri: path, method: method, headers: fields, body: body)
        for header in response.headers[values: .setCookie] {
            let pair = header.split(separator: ";", maxSplits: 1)[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pair[0]), value = pair.count == 2 ? String(pair[1]) : ""
            if value.isEmpty || header.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        return response
    }

    static func value(of input: String, in page: String) -> String? {
        guard let start = page.range(of: #"name="\#(input)" value=""#)?.upperBound else { return nil }
        return String(page[start...].prefix { $0 != "\"" })
    }

    static func encode(_ fields: [String: String]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }
            .joined(separator: "&")
    }
}
