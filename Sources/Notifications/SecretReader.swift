import Foundation
import SecureFiles
import Yams

/// Reads a channel's secret from where its configuration says: inline (`key`), from an environment
/// variable (`key_env`) or from a file (`key_file`), exactly one of them. What it refuses is
/// described, never quoted.
struct SecretReader {
    let directory: String
    let environment: [String: String]
    /// Whether the configuration file is private to its owner, so a secret may be written in it.
    let inlineAllowed: Bool

    static func keys(_ field: String) -> [String] {
        [field, field + "_env", field + "_file"]
    }

    /// The secret for `field`, checked by `check` (nil, or a phrase saying what is wrong with it).
    func secret(
        _ field: String, in fields: ConfigurationFields, channel: String, check: (String) -> String?
    ) throws(NotificationConfigurationError) -> ChannelSecret {
        let given = Self.keys(field).compactMap { key in fields.present(key).map { (key, $0) } }
        guard given.count == 1, let (key, node) = given.first else {
            let ways = Self.keys(field).joined(separator: ", ")
            throw NotificationConfigurationError(
                .secretSource, channel: channel, field: field, given.isEmpty ? "is required: give one of \(ways)" : "is given more than one way: give one of \(ways)"
            )
        }
        let written = try ConfigurationFields.text(node, channel: channel, field: key)
        let value: String
        if key.hasSuffix("_env") {
            value = try fromEnvironment(written, channel: channel, field: key)
        } else if key.hasSuffix("_file") {
            value = try fromFile(written, channel: channel, field: key)
        } else {
            guard inlineAllowed else {
                throw NotificationConfigurationError(
                    .insecureFile, channel: channel, field: key,
                    "is written in a file that group or others can read: make it 0600, or use \(field)_env or \(field)_file"
                )
            }
            value = written
        }
        guard value.utf8.count <= NotificationConfiguration.maximumSecretLength else {
            throw NotificationConfigurationError(.tooLarge, channel: channel, field: key, "is longer than \(NotificationConfiguration.maximumSecretLength) bytes")
        }
        if let problem = check(value) {
            throw NotificationConfigurationError(.invalidValue, channel: channel, field: key, problem)
        }
        return ChannelSecret(value)
    }

    /// A routing key or HMAC key: printable ASCII without spaces, so that no stray newline or quote
    /// from a copy and paste becomes part of it unnoticed.
    static func isToken(_ text: String) -> String? {
        guard !text.isEmpty else { return "is empty" }
        return text.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) ? nil : "must be printable ASCII without spaces"
    }

    private func fromEnvironment(_ name: String, channel: String, field: String) throws(NotificationConfigurationError) -> String {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, !(0x30...0x39).contains(first), bytes.count <= 128,
              bytes.allSatisfy({ (0x41...0x5a).contains($0) || (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5f })
        else {
            throw NotificationConfigurationError(.invalidValue, channel: channel, field: field, "must be an environment variable's name (letters, digits, underscores)")
        }
        guard let value = environment[name], !value.isEmpty else {
            throw NotificationConfigurationError(.secretSource, channel: channel, field: field, "names \(name), which is not set in the environment")
        }
        return value
    }

    private func fromFile(_ path: String, channel: String, field: String) throws(NotificationConfigurationError) -> String {
        guard !path.isEmpty, !path.utf8.contains(0) else {
            throw NotificationConfigurationError(.invalidValue, channel: channel, field: field, "must be a file's path")
        }
        let absolute = path.hasPrefix("/") ? path : URL(fileURLWithPath: directory).appendingPathComponent(path).path
        let bytes: [UInt8]
        do {
            bytes = try SecureFiles.readSecret(absolute, maximumSize: NotificationConfiguration.maximumSecretLength + 2)
        } catch {
            let code: NotificationConfigurationError.Code = switch error.code {
            case .insecureMode, .notRegular: .insecureFile
            case .tooLarge: .tooLarge
            default: .secretSource
            }
            throw NotificationConfigurationError(code, channel: channel, field: field, error.message)
        }
        guard var text = String(validating: bytes, as: UTF8.self) else {
            throw NotificationConfigurationError(.invalidValue, channel: channel, field: field, "names a file that is not UTF-8 text")
        }
        if text.hasSuffix("\r\n") || text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}
