import Foundation

/// When an approved request yields a credential, and what the credential may say.
public enum CredentialRules {
    /// How far before issue a credential's validity starts, so that a host whose clock runs a
    /// little behind the gateway's still accepts it.
    public static let clockSkewAllowance: TimeInterval = 60

    /// The longest a credential lives whatever a policy says: a credential is meant for one
    /// session or one rollout, and a new one is cheap to ask for.
    public static let maximumLifetime: TimeInterval = 24 * 60 * 60

    /// What a credential of `kind` for `request` taken by `holder` at `now` may say: only the kind
    /// the request yields, only to the requester, only while the request is approved and its access
    /// window open, valid from a little before now (`clockSkewAllowance`) until the window ends or
    /// `lifetime` has passed, whichever is first.
    /// A single-use deploy approval yields its one token only with its rollout start
    /// (`DeployGate.rolloutTokenGrant`): a token taken beside it would be a second use that the
    /// gate never sees.
    public static func grant(
        _ kind: CredentialKind, for request: AccessRequest, to holder: Username, lifetime: TimeInterval, at now: Date
    ) throws(DomainError) -> CredentialGrant {
        guard kind != .deployToken || !request.singleUse else {
            throw DomainError(.invalidState, "request \(request.id) is single-use: its one deploy token comes with the rollout start, from `countersign check --consume --token-out FILE`")
        }
        return try windowGrant(kind, for: request, to: holder, lifetime: lifetime, at: now)
    }

    /// `grant` without the single-use rule, for the unit of work that starts the rollout.
    static func windowGrant(
        _ kind: CredentialKind, for request: AccessRequest, to holder: Username, lifetime: TimeInterval, at now: Date
    ) throws(DomainError) -> CredentialGrant {
        guard kind == CredentialKind(yieldedBy: request.kind) else {
            throw DomainError(.invalidState, "request \(request.id) is a \(request.kind) request; it yields a \(CredentialKind(yieldedBy: request.kind)), not a \(kind)")
        }
        guard holder == request.requester else {
            throw DomainError(.forbidden, "request \(request.id) is \(request.requester)'s; only they can take its credential")
        }
        try RequestRules.requireOpen(request, in: .approved, for: "used for a credential", at: now)
        guard lifetime > 0, lifetime <= maximumLifetime else {
            throw DomainError(.invalidField, "a credential's lifetime must be more than 0 and at most \(Int(maximumLifetime)) seconds")
        }
        // An approved request always has its window's end; a row without one is refused, not trusted.
        guard let windowEnd = request.accessExpiresAt else {
            throw DomainError(.invalidState, "request \(request.id) is approved but has no end to its access")
        }
        let validBefore = wholeSeconds(min(windowEnd, now.addingTimeInterval(lifetime)))
        guard validBefore > now else {
            throw DomainError(.requestExpired, "request \(request.id) has less than a second of access left")
        }
        let validAfter = wholeSeconds(now.addingTimeInterval(-clockSkewAllowance))
        return try CredentialGrant(
            kind: kind, requestID: request.id, holder: holder,
            principal: principal(of: request.target), validAfter: validAfter, validBefore: validBefore
        )
    }

    /// The unit of work of an issue: the request unchanged, the credential under the serial the
    /// store allocated, its `credential.issued` event, whose actor is `takenBy` (deploy tooling
    /// taking the requester's token) or else the holder, and, when the request's terms record
    /// sessions, the certificate's recording (`recording`: its id and upload token, made at the
    /// edge; required then, refused otherwise).
    public static func issue(
        _ grant: CredentialGrant, of request: AccessRequest, serial: CredentialSerial, fingerprint: String, at now: Date,
        takenBy: String? = nil, recording: RecordingTicket? = nil
    ) throws(DomainError) -> RequestChange {
        guard grant.requestID == request.id else {
            throw DomainError(.invalidField, "a grant for request \(grant.requestID) cannot issue for request \(request.id)")
        }
        let recorded = grant.kind == .sshCertificate && request.certificateTerms.recording != .off
        guard recorded == (recording != nil) else {
            throw DomainError(.invalidField, recorded ? "a recorded session's certificate is issued with its recording" : "only a recorded session's certificate has a recording")
        }
        let credential = try IssuedCredential(serial: serial, grant: grant, fingerprint: fingerprint, issuedAt: now)
        var details = [
            "serial": serial.description,
            "kind": grant.kind.rawValue,
            "principal": grant.principal,
            "valid_after": String(grant.validAfter.millisecondsSinceEpoch),
            "valid_before": String(grant.validBefore.millisecondsSinceEpoch),
            "fingerprint": fingerprint,
        ]
        if grant.kind == .sshCertificate {
            let terms = request.certificateTerms
            details["forwarding"] = terms.forwarding.sorted().map(\.rawValue).joined(separator: ",")
            if !terms.sourceAddresses.isEmpty { details["source_address"] = terms.sourceAddresses.map(\.description).joined(separator: ",") }
            if let command = terms.forceCommand { details["force_command"] = command }
            if terms.recording != .off { details["recording"] = terms.recording.rawValue }
        }
        var recordings: [NewRecording] = []
        if let recording, let target = request.target.sshTarget {
            details["recording_id"] = recording.id.rawValue
            recordings.append(NewRecording(
                recording: Recording(
                    id: recording.id, requestID: request.id, serial: serial, user: grant.holder, host: target.host, login: grant.principal,
                    recordsInput: request.certificateTerms.recording == .outputAndInput, createdAt: now, certificateExpiresAt: grant.validBefore
                ),
                uploadTokenHash: recording.uploadTokenHash
            ))
        }
        let event = RequestRules.event(.credentialIssued, request, actor: takenBy ?? grant.holder.rawValue, at: now, details)
        return RequestChange(request: request, events: [event], issued: [credential], recordings: recordings)
    }

    /// Credentials that a revocation list must name at `now`: those still valid whose request
    /// has been revoked. An expired credential needs no listing; hosts refuse it already.
    public static func mustBeRevoked(_ credential: IssuedCredential, of request: AccessRequest, at now: Date) -> Bool {
        request.state == .revoked && now < credential.grant.validBefore
    }

    private static func principal(of target: RequestTarget) -> String {
        switch target {
        case .ssh(let target), .breakGlass(let target): target.login
        case .deploy(let target): target.service
        }
    }

    private static func wholeSeconds(_ time: Date) -> Date {
        Date(timeIntervalSince1970: time.timeIntervalSince1970.rounded(.down))
    }
}
