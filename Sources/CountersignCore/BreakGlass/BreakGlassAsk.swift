/// What an on-call engineer asks for when they break glass: a host and login, the incident that
/// justifies it, in their own words why, and for how long (the rule's longest when left out).
/// Parsed at the edge: the host in its canonical spelling, every text checked as a reviewer's.
public struct BreakGlassAsk: Hashable, Sendable {
    public static let maximumIncidentLength = 128
    public static let maximumReasonLength = 1024

    public let host: String
    public let login: String
    public let incident: String
    public let reason: String
    public let durationSeconds: Int?

    public init(host: String, login: String, incident: String, reason: String, durationSeconds: Int? = nil) throws(DomainError) {
        self.host = try HostName.canonical(host)
        try FieldRules.checkLogin(login)
        try FieldRules.checkText(incident, field: "incident", maximumLength: Self.maximumIncidentLength)
        try FieldRules.checkText(reason, field: "reason", maximumLength: Self.maximumReasonLength)
        guard !incident.isEmpty else { throw DomainError(.invalidField, "incident is required: the reference of the incident being handled") }
        guard FieldRules.readableLength(reason) > 0 else { throw DomainError(.invalidField, "reason is required") }
        if let durationSeconds, !(60...BreakGlassRule.longestDurationSeconds).contains(durationSeconds) {
            throw DomainError(.invalidField, "duration must be between 1 minute and 4 hours")
        }
        self.login = login
        self.incident = incident
        self.reason = reason
        self.durationSeconds = durationSeconds
    }
}
