/// What is being asked for. Break-glass joins as a third kind later; everything that switches on
/// the kind is exhaustive so the compiler names each place it must be handled.
public enum RequestKind: String, Hashable, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case deploy
    case ssh

    public var description: String { rawValue }
}

/// The kind-specific content of a request, validated on construction.
public enum RequestTarget: Hashable, Sendable {
    case deploy(DeployTarget)
    case ssh(SSHTarget)

    public var kind: RequestKind {
        switch self {
        case .deploy: .deploy
        case .ssh: .ssh
        }
    }

    /// The target's fields in their canonical order, as text: what the content digest covers,
    /// what a store keeps (as canonical JSON) and what a search reads. A new kind states its
    /// fields here and in `init(kind:fields:)`, and nowhere else.
    public var fields: KeyValuePairs<String, String> {
        switch self {
        case .deploy(let target):
            ["service": target.service, "environment": target.environment, "commit": target.commit.description]
        case .ssh(let target):
            ["host": target.host, "login": target.login, "duration_seconds": String(target.durationSeconds)]
        }
    }

    /// A target rebuilt from its fields (a stored row), through the same checks as at creation.
    public init(kind: RequestKind, fields: [String: String]) throws(DomainError) {
        let expected = Set(Self.fieldNames(of: kind))
        guard Set(fields.keys) == expected else {
            throw DomainError(.invalidField, "a \(kind) target has the fields \(expected.sorted().joined(separator: ", "))")
        }
        func field(_ name: String) -> String { fields[name] ?? "" }
        switch kind {
        case .deploy:
            self = .deploy(try DeployTarget(
                service: field("service"), environment: field("environment"), commit: try ArtifactReference(field("commit"))
            ))
        case .ssh:
            guard let seconds = Int(field("duration_seconds")), String(seconds) == field("duration_seconds") else {
                throw DomainError(.invalidField, "duration_seconds must be a whole number")
            }
            self = .ssh(try SSHTarget(host: field("host"), login: field("login"), durationSeconds: seconds))
        }
    }

    public static func fieldNames(of kind: RequestKind) -> [String] {
        switch kind {
        case .deploy: ["service", "environment", "commit"]
        case .ssh: ["host", "login", "duration_seconds"]
        }
    }

    /// The attributes policy globs match against, by name.
    public var attributes: [String: String] {
        var attributes: [String: String] = [:]
        for (name, value) in fields where PolicyRule.attributeNames(for: kind).contains(name) { attributes[name] = value }
        return attributes
    }
}

public struct DeployTarget: Hashable, Sendable {
    public let service: String
    public let environment: String
    public let commit: ArtifactReference

    public init(service: String, environment: String, commit: ArtifactReference) throws(DomainError) {
        try FieldRules.checkName(service, field: "service")
        try FieldRules.checkName(environment, field: "environment")
        self.service = service
        self.environment = environment
        self.commit = commit
    }
}

public struct SSHTarget: Hashable, Sendable {
    /// Canonical (`HostName`): lower case, no trailing dot.
    public let host: String
    public let login: String
    /// How long the access is asked for, in whole seconds.
    public let durationSeconds: Int

    /// Bounds that hold whatever the policy says; the policy's own maximum is checked on top.
    public static let minimumDurationSeconds = 60
    public static let maximumDurationSeconds = 7 * 24 * 3600

    public init(host: String, login: String, durationSeconds: Int) throws(DomainError) {
        let host = try HostName.canonical(host)
        try FieldRules.checkLogin(login)
        guard (Self.minimumDurationSeconds...Self.maximumDurationSeconds).contains(durationSeconds) else {
            throw DomainError(.invalidField, "duration must be between 1 minute and 7 days")
        }
        self.host = host
        self.login = login
        self.durationSeconds = durationSeconds
    }
}
