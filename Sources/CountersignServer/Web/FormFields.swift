import CountersignAPI
import Foundation
import Hummingbird

/// The fields of a page's form post (`application/x-www-form-urlencoded`), read within a bound.
/// Strict: a repeated field, a malformed escape or too many fields is refused, never guessed at.
struct FormFields: Sendable {
    static let maximumBytes = 16 * 1024
    static let maximumFields = 16

    private let values: [String: String]

    subscript(name: String) -> String? { values[name] }

    static func read(from request: inout Request) async throws -> FormFields {
        if let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/x-www-form-urlencoded") {
            throw GatewayError(status: .unsupportedMediaType, code: APIErrorCode.unsupportedMediaType, message: "send the form as application/x-www-form-urlencoded")
        }
        let buffer = try await request.collectBody(upTo: maximumBytes)
        return try FormFields(parsing: String(buffer: buffer))
    }

    init(parsing text: String) throws(GatewayError) {
        var values: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]), let value = Self.decode(parts.count == 2 ? parts[1] : "") else {
                throw GatewayError.malformed("the form has a malformed field")
            }
            guard values.updateValue(value, forKey: name) == nil else {
                throw GatewayError.malformed("the form repeats the field '\(name.prefix(32))'")
            }
            guard values.count <= Self.maximumFields else {
                throw GatewayError.malformed("the form has more than \(Self.maximumFields) fields")
            }
        }
        self.values = values
    }

    private static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
