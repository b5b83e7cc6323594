import CountersignStore
import Hummingbird

/// The query parameters that the API's listing and the reviewer pages share, each parsed once,
/// bounded, and refused with 400 when it is not of its shape.
enum RequestListingParameters {
    static func search(_ query: Parameters) throws(GatewayError) -> String? {
        guard let value = query.get("q") else { return nil }
        guard value.count <= RequestQuery.maximumSearchLength else {
            throw GatewayError.invalidQuery("q must be at most \(RequestQuery.maximumSearchLength) characters")
        }
        return String(value)
    }

    static func cursor(_ query: Parameters) throws(GatewayError) -> RequestCursor? {
        guard let value = query.get("before") else { return nil }
        guard value.utf8.count <= 64, let cursor = RequestCursor(token: String(value)) else {
            throw GatewayError.invalidQuery("before is not a cursor this gateway issued")
        }
        return cursor
    }
}
