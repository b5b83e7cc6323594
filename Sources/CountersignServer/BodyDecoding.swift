import CountersignAPI
import Foundation
import Hummingbird

/// Reads a JSON body within a size bound and decodes it, turning every way it can be wrong into a
/// message that names the problem (never the decoder's internals).
enum BodyDecoding {
    static func decode<Body: Decodable>(_ type: Body.Type, from request: Request, limit: Int) async throws -> Body {
        if let contentType = request.headers[.contentType], !contentType.lowercased().hasPrefix("application/json") {
            throw GatewayError(status: .unsupportedMediaType, code: APIErrorCode.unsupportedMediaType, message: "send the body as application/json")
        }
        let buffer = try await request.body.collect(upTo: limit)
        let bytes = Array(buffer: buffer)
        do {
            try JSONKeyUniqueness.check(bytes)
        } catch .repeatedKey(let key) {
            throw GatewayError.malformed("field \(key.prefix(64).debugDescription) appears twice; send each field once")
        } catch .tooDeep {
            throw GatewayError.malformed("body is nested more than \(JSONKeyUniqueness.maximumDepth) levels deep")
        } catch {
            throw GatewayError.malformed("body is not valid JSON")
        }
        do {
            return try APICoding.makeDecoder().decode(Body.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw GatewayError.malformed(describe(error))
        }
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            "missing field \(path(context.codingPath + [key]))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            context.codingPath.isEmpty ? "body must be a JSON object" : "field \(path(context.codingPath)) has the wrong type"
        case .dataCorrupted(let context):
            context.codingPath.isEmpty ? "body is not valid JSON" : "field \(path(context.codingPath)): \(context.debugDescription.prefix(200))"
        @unknown default:
            "body could not be decoded"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { key in key.intValue.map { "[\($0)]" } ?? snakeCase(key.stringValue) }.joined(separator: ".")
    }

    private static func snakeCase(_ name: String) -> String {
        name.reduce(into: "") { result, character in
            if character.isUppercase { result += "_" + character.lowercased() } else { result.append(character) }
        }
    }
}
