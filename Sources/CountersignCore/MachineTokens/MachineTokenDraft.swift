import Foundation

/// What an admin asks for when making a machine token, parsed and bounded at the edge: a name,
/// one or more scopes, the services it may act for (none: any) and how long it lives.
public struct MachineTokenDraft: Hashable, Sendable {
    /// A quarter: long enough not to break a pipeline every sprint, short enough that a
    /// forgotten token goes stale.
    public static let defaultLifetime: TimeInterval = 90 * 24 * 3600
    /// A year at most: every token is renewed, and its owners reminded it exists, once a year.
    public static let maximumLifetime: TimeInterval = 365 * 24 * 3600
    public static let minimumLifetime: TimeInterval = 60
    public static let maximumServicePatterns = 16

    public let name: MachineTokenName
    public let scopes: Set<MachineScope>
    public let services: [ServicePattern]
    public let lifetime: TimeInterval

    /// - Parameter lifetime: seconds; nil for `defaultLifetime`.
    public init(name: String, scopes: [String], services: [String] = [], lifetime: TimeInterval? = nil) throws(DomainError) {
        self.name = try MachineTokenName(name)
        // Bounded before anything is parsed, so a huge list costs nothing.
        guard !scopes.isEmpty, scopes.count <= MachineScope.allCases.count else {
            throw DomainError(.invalidField, "scopes must name 1 to \(MachineScope.allCases.count) of \(MachineScope.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var parsedScopes: Set<MachineScope> = []
        for text in scopes {
            guard parsedScopes.insert(try MachineScope(parsing: text)).inserted else {
                throw DomainError(.invalidField, "scope \(text) is listed twice")
            }
        }
        guard services.count <= Self.maximumServicePatterns else {
            throw DomainError(.invalidField, "services may name at most \(Self.maximumServicePatterns) patterns")
        }
        var parsedServices: [ServicePattern] = []
        for text in services {
            let pattern = try ServicePattern(text)
            guard !parsedServices.contains(pattern) else {
                throw DomainError(.invalidField, "service pattern \(text) is listed twice")
            }
            parsedServices.append(pattern)
        }
        let lifetime = lifetime ?? Self.defaultLifetime
        guard lifetime >= Self.minimumLifetime, lifetime <= Self.maximumLifetime else {
            throw DomainError(
                .invalidField,
                "a machine token lives \(Int(Self.minimumLifetime)) to \(Int(Self.maximumLifetime)) seconds (365 days); the default is 90 days"
            )
        }
        self.scopes = parsedScopes
        self.services = parsedServices
        self.lifetime = lifetime
    }
}
