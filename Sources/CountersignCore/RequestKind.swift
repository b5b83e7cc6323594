/// What is being asked for. Everything that switches on the kind is exhaustive, so the compiler
/// names each place a new kind must be handled.
public enum RequestKind: String, Hashable, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case deploy
    case ssh
    /// SSH access granted at once in an incident (`BreakGlassRules`): never filed as a request
    /// nor matched by a request rule; its target is an SSH target and its ticket the incident.
    case breakGlass = "break_glass"

    /// The kinds a requester files for review and request rules decide.
    public static let requestable: [RequestKind] = [.deploy, .ssh]

    public var description: String { rawValue }
}

/// The kind-specific content of a request, validated on construction.
public enum RequestTarget: Hashable, Sendable {
    case deploy(DeployTarget)
    case ssh(SSHTarget)
    case breakGlass(SSHTarget)

    public var kind: RequestKind {
        switch self {
        case .deploy: .deploy
        case .ssh: .ssh
        case .breakGlass: .breakGlass
        }
    }

    /// The host and login of SSH access, asked for or broken into.
    public var sshTarget: SSHTarget? {
        switch self {
        case .deploy: nil
        case .ssh(let target), .breakGlass(let target): target
        }
    }

    /// The target's fields in their canonical order, as text: what the content digest covers,
    /// what a store keeps (as canonical JSON) and what a search reads. A new kind states its
    /// fields here and in `init(kind:fields:)`, and nowhere else.
    public var fields: KeyValuePairs<String, String> {
        switch self {
        case .deploy(let target):
            ["service": target.service, "environment": target.environment, "commit": target.commit.description]
        case .ssh(let target), .breakGlass(let target):
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
        case .ssh, .breakGlass:
            guard let seconds = Int(field("duration_seconds")), String(seconds) == field("duration_seconds") else {
                throw DomainError(.invalidField, "duration_seconds must be a whole number")
            }
            let target = try SSHTarget(host: field("host"), login: field("login"), durationSeconds: seconds)
            self = kind == .ssh ? .ssh(target) : .breakGlass(target)
        }
    }

    public static func fieldNames(of kind: RequestKind) -> [String] {
        switch kind {
        case .deploy: ["service", "environment", "commit"]
        case .ssh, .breakGlass: ["host", "login", "duration_seconds"]
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
