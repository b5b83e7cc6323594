import CountersignCore
import Foundation

/// A policy directory as the gateway runs on it: the rules and groups, a fingerprint that names
/// exactly these files (for the audit log's `policy.loaded` and for `explain`), and the warnings
/// that did not stop it from loading.
public struct LoadedPolicy: Sendable {
    public let policy: Policy
    /// SHA-256 (lowercase hex) over each file's name and bytes, in reading order: the .yaml
    /// files, then the attestation roots authenticators.yaml names.
    public let fingerprint: String
    /// The files read, relative to the directory, in that order.
    public let files: [String]
    public let warnings: [PolicyDiagnostic]

    let rules: [ParsedRule]
    let breakGlass: [ParsedBreakGlassRule]
    let groups: GroupsFile?
}
