import CountersignAPI
import CountersignCore

/// Turns the JSON body of `POST /v1/requests` into a validated domain draft, naming the first
/// field that is missing or not of its shape.
enum RequestDraftParser {
    static func draft(from body: CreateRequestBody) throws -> RequestDraft {
        guard let kind = RequestKind(rawValue: body.kind), RequestKind.requestable.contains(kind) else {
            let hint = body.kind == RequestKind.breakGlass.rawValue ? "; break glass with POST /v1/break-glass" : ""
            throw DomainError(.invalidField, "kind must be one of \(RequestKind.requestable.map(\.rawValue).joined(separator: ", "))\(hint)")
        }
        let target: RequestTarget
        switch kind {
        case .deploy:
            try refuseFields(["host": body.host, "login": body.login, "duration_seconds": body.durationSeconds.map(String.init)], for: kind)
            target = .deploy(try DeployTarget(
                service: try required(body.service, "service"),
                environment: try required(body.environment, "environment"),
                commit: try ArtifactReference(try required(body.commit, "commit"))
            ))
        case .ssh:
            try refuseFields(["service": body.service, "environment": body.environment, "commit": body.commit], for: kind)
            target = .ssh(try SSHTarget(
                host: try required(body.host, "host"),
                login: try required(body.login, "login"),
                durationSeconds: try required(body.durationSeconds, "duration_seconds")
            ))
        case .breakGlass:
            // Refused above: a grant is never filed as a request.
            throw DomainError(.invalidField, "break glass with POST /v1/break-glass")
        }
        return try RequestDraft(target: target, reason: body.reason, ticket: body.ticket)
    }

    private static func required<Value>(_ value: Value?, _ name: String) throws(DomainError) -> Value {
        guard let value else { throw DomainError(.invalidField, "\(name) is required") }
        return value
    }

    /// Fields of the other kind are refused rather than ignored: a deploy request carrying a host
    /// is a client bug, and silently dropping what the user typed would hide it.
    private static func refuseFields(_ fields: [String: String?], for kind: RequestKind) throws(DomainError) {
        let present = fields.filter { $0.value != nil }.keys.sorted()
        guard present.isEmpty else {
            throw DomainError(.invalidField, "\(present.joined(separator: ", ")) do not apply to \(kind) requests")
        }
    }
}
