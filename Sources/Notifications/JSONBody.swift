import Foundation

/// The JSON of a channel's body: keys sorted so the same notice always gives the same bytes (a
/// webhook's signature covers them; tests compare them), slashes left as they are.
enum JSONBody {
    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // The bodies are strings, arrays and objects of strings: JSONEncoder fails only on
        // non-finite numbers, which they never hold.
        return (try? Array(encoder.encode(value))) ?? []
    }
}
