import CountersignAPI
import CountersignCore
import CountersignStore
import Foundation
import HTTPTypes
import WebAuthn

/// Enrolment and hardware-key approvals. The WebAuthn module verifies, the core rules decide,
/// the store commits both in one transaction; nothing here decides a rule of its own.
final class HardwareKeyDesk: Sendable {
    let store: any GatewayStore
    let requests: RequestDesk
    /// Nil when the gateway has no public URL: a key is bound to an origin, so without one no
    /// ceremony can be verified, and none is offered.
    let relyingParty: RelyingParty?
    let attestation: String
    let clock: any WallClock
    let metrics: GatewayMetrics
    /// Refused key approvals per approver, counted in the store: each is audited, so an eligible
    /// reviewer hammering the endpoint would otherwise grow the log (and probe the checks)
    /// without bound.
    static let refusalLimit = AttemptLimit(attempts: 10, window: 15 * 60)

    init(store: any GatewayStore, requests: RequestDesk, relyingParty: RelyingParty?, attestation: String, clock: any WallClock, metrics: GatewayMetrics) {
        self.store = store
        self.requests = requests
        self.relyingParty = relyingParty
        self.attestation = attestation
        self.clock = clock
        self.metrics = metrics
    }

    static let algorithms: [COSEAlgorithm] = [.es256, .edDSA]
    static let timeoutMilliseconds = Int(ApprovalChallenge.lifetime * 1000)

    // MARK: Invites

    func invite(_ body: InviteBody, by caller: Actor) async throws -> InviteView {
        guard caller.groups.contains(WellKnownGroup.admins) else {
            throw DomainError(.forbidden, "only the \(WellKnownGroup.admins) group may invite someone to enrol a key")
        }
        let user = try Username(body.username)
        let now = clock.now()
        let code = Self.randomCode()
        let invite = EnrolmentInvite(codeHash: Self.hash(code), user: user, createdBy: caller.name, createdAt: now)
        try await store.createInvite(invite, event: AuditEvent(
            time: now, actor: caller.name.rawValue, action: .keyInviteCreated, subject: user.rawValue,
            details: ["expires_at": String(invite.expiresAt.millisecondsSinceEpoch)]
        ))
        return InviteView(username: user.rawValue, code: code, expiresAt: invite.expiresAt)
    }

    // MARK: Enrolment

    func registrationOptions(for caller: Actor) async throws -> RegistrationOptionsView {
        let relyingParty = try requireRelyingParty()
        let now = clock.now()
        let challenge = CeremonyChallenge(id: Self.ceremonyID(), user: caller.name, purpose: .registration(challenge: Self.randomBytes(32)), issuedAt: now)
        let handle = try await store.userHandle(for: caller.name)
        let existing = try await store.keys(of: caller.name)
        try await store.openChallenge(challenge, at: now)
        // Asked for `none`, browsers send no statement at all: a policy that requires attestation
        // roots must ask for the authenticator's own.
        let preference = requests.policies.current.policy.authenticators.requiresAttestation ? "direct" : attestation
        return RegistrationOptionsView(
            ceremonyId: challenge.id, rpID: relyingParty.id, rpName: "Countersign", userHandle: Base64URL.encode(handle),
            username: caller.name.rawValue, challenge: Base64URL.encode(challenge.challengeBytes),
            algorithms: Self.algorithms.map { Int($0.rawValue) }, timeout: Self.timeoutMilliseconds, attestation: preference,
            excludeCredentials: existing.map { CredentialDescriptorView(id: Base64URL.encode($0.credentialID)) }
        )
    }

    func enrol(_ body: EnrolKeyBody, by caller: Actor) async throws -> EnrolledKey {
        let relyingParty = try requireRelyingParty()
        let attestationObject = try Self.decode(body.attestationObject, "attestation_object")
        let clientData = try Self.decode(body.clientDataJSON, "client_data_json")
        let credentialID = try Self.decode(body.credentialId, "credential_id")
        try EnrolledKey.checkName(body.name)
        let now = clock.now()
        // The policy in force now decides which authenticators may enrol. Chain building in
        // swift-certificates is asynchronous and the store's transaction is not, so the trust in
        // what the attestation claims is evaluated here, and inside the transaction the verified
        // credential must carry that very attestation. A refusal waits until the ceremony's own
        // checks have passed: an authenticator is refused only for an otherwise valid registration.
        let trust = try requests.policies.current.policy.authenticators.attestationTrust()
        let vetting: Result<AttestationVerdict, WebAuthnError>
        do throws(WebAuthnError) {
            vetting = .success(try await trust.evaluate(AttestationEvidence(claimedIn: attestationObject), at: now))
        } catch {
            vetting = .failure(error)
        }
        let key = try await store.enrolKey(challengeID: body.ceremonyId, inviteCodeHash: Self.hash(body.inviteCode), user: caller.name, at: now) { challenge, _, keys in
            let registered: RegisteredCredential
            let verdict: AttestationVerdict
            do throws(WebAuthnError) {
                registered = try RegistrationCeremony(
                    relyingParty: relyingParty, challenge: challenge.challengeBytes, algorithms: Self.algorithms, userVerification: .required
                ).verify(attestationObject: attestationObject, clientDataJSON: clientData)
                verdict = try vetting.get()
                try verdict.confirm(registered)
            } catch {
                throw GatewayError(error)
            }
            guard registered.id == credentialID else {
                throw GatewayError.malformed("credential_id does not match the credential in the attestation")
            }
            guard !keys.contains(where: { $0.name == body.name }) else {
                throw DomainError(.invalidState, "you already have a key named '\(body.name)'")
            }
            let key = try EnrolledKey(
                credentialID: registered.id, owner: caller.name, name: body.name, publicKey: registered.publicKey.encoded,
                signCount: registered.signCount, backupEligible: registered.backupEligible, aaguid: registered.aaguid,
                attestation: registered.attestation.rawValue, enrolledAt: now
            )
            var details = [
                "key": key.shortID, "name": key.name, "aaguid": key.aaguid.hexString, "attestation": key.attestation,
                "algorithm": String(registered.publicKey.algorithm.rawValue),
            ]
            if let root = verdict.rootSubject { details["attestation_root"] = root }
            return (key, [AuditEvent(time: now, actor: caller.name.rawValue, action: .keyEnrolled, subject: caller.name.rawValue, details: details)])
        }
        return key
    }

    func keys(of caller: Actor) async throws -> [EnrolledKey] {
        try await store.keys(of: caller.name)
    }

    /// An admin removes anyone's key: a lost key must not wait for its owner.
    func remove(_ credentialID: String, of owner: String, by caller: Actor) async throws {
        guard caller.groups.contains(WellKnownGroup.admins) else {
            throw DomainError(.forbidden, "only the \(WellKnownGroup.admins) group may remove another person's key; remove your own with a touch of another key")
        }
        let user = try Username(owner)
        let id = try Self.decode(credentialID, "credential_id")
        let removed = try await store.removeKey(credentialID: id, owner: user, event: AuditEvent(
            time: clock.now(), actor: caller.name.rawValue, action: .keyRemoved, subject: user.rawValue,
            details: ["key": id.prefix(8).hexString, "by": "admin"]
        ))
        guard removed else { throw GatewayError.notFound("key") }
    }

    func removalOptions(for credentialID: String, by caller: Actor) async throws -> AssertionOptionsView {
        let relyingParty = try requireRelyingParty()
        let target = try Self.decode(credentialID, "credential_id")
        let keys = try await store.keys(of: caller.name)
        guard keys.contains(where: { $0.credentialID == target }) else { throw GatewayError.notFound("key") }
        let others = HardwareKeyRules.keysVouchingForRemoval(of: target, among: keys)
        guard !others.isEmpty else {
            throw GatewayError(status: .conflict, code: APIErrorCode.noEnrolledKey, message: "removing a key takes a touch of another of your keys; with only one, ask an admin")
        }
        let now = clock.now()
        let challenge = CeremonyChallenge(id: Self.ceremonyID(), user: caller.name, purpose: .keyRemoval(challenge: Self.randomBytes(32), credentialID: target), issuedAt: now)
        try await store.openChallenge(challenge, at: now)
        return AssertionOptionsView(
            ceremonyId: challenge.id, challenge: Base64URL.encode(challenge.challengeBytes), rpId: relyingParty.id, origin: relyingParty.origin,
            allowCredentials: others.map { CredentialDescriptorView(id: Base64URL.encode($0.credentialID)) },
            timeout: Self.timeoutMilliseconds, contentDigest: nil
        )
    }

    func remove(_ credentialID: String, _ body: AssertionBody, by caller: Actor) async throws {
        let relyingParty = try requireRelyingParty()
        let target = try Self.decode(credentialID, "credential_id")
        let response = try AssertionResponse(body)
        let handle = try await store.userHandle(for: caller.name)
        let now = clock.now()
        try await store.removeKeyWithTouch(challengeID: body.ceremonyId, owner: caller.name, at: now) { challenge, keys in
            guard case .keyRemoval(_, let bound) = challenge.purpose, bound == target else {
                throw DomainError(.forbidden, "this ceremony was started to remove another key")
            }
            let others = HardwareKeyRules.keysVouchingForRemoval(of: target, among: keys)
            let verified: VerifiedAssertion
            do throws(WebAuthnError) {
                verified = try response.verify(over: challenge.challengeBytes, byOneOf: others, userHandle: handle, relyingParty: relyingParty)
            } catch {
                throw GatewayError(error)
            }
            guard let used = others.first(where: { $0.credentialID == verified.credentialID }) else {
                throw GatewayError(WebAuthnError(.unknownCredential, "this key is not enrolled"))
            }
            return (used.used(signCount: verified.signCount, at: now), [AuditEvent(
                time: now, actor: caller.name.rawValue, action: .keyRemoved, subject: caller.name.rawValue,
                details: ["key": target.prefix(8).hexString, "by": "owner", "confirmed_with": used.shortID]
            )])
        }
    }

    // MARK: Approvals

    func approvalOptions(for id: RequestID, by caller: Actor) async throws -> AssertionOptionsView {
        let relyingParty = try requireRelyingParty()
        try await requireNotThrottled(caller)
        let request = try await requests.request(id, for: caller)
        let now = clock.now()
        // The same rules the approval itself will apply: no ceremony is started for an approval
        // that would be refused anyway (own request, not eligible, decided, expired).
        _ = try RequestRules.apply(.approveWithHardwareKey(caller, Self.placeholderEvidence), to: request, at: now)
        let usable = try await store.keys(of: caller.name).filter(HardwareKeyRules.isUsable)
        guard !usable.isEmpty else {
            throw GatewayError(status: .conflict, code: APIErrorCode.noEnrolledKey, message: "enrol a security key before approving (ask an admin for an invite)")
        }
        var generator = SystemRandomNumberGenerator()
        let approval = ApprovalChallenge.issue(for: request, approver: caller.name, at: now, using: &generator)
        let challenge = CeremonyChallenge(id: Self.ceremonyID(), user: caller.name, purpose: .approval(approval), issuedAt: now)
        try await store.openChallenge(challenge, at: now)
        return AssertionOptionsView(
            ceremonyId: challenge.id, challenge: Base64URL.encode(approval.bytes), rpId: relyingParty.id, origin: relyingParty.origin,
            allowCredentials: usable.map { CredentialDescriptorView(id: Base64URL.encode($0.credentialID)) },
            timeout: Self.timeoutMilliseconds, contentDigest: request.contentDigest
        )
    }

    func approve(_ id: RequestID, _ body: AssertionBody, by caller: Actor) async throws -> AccessRequest {
        let relyingParty = try requireRelyingParty()
        _ = try await requests.request(id, for: caller)
        let response = try AssertionResponse(body)
        let handle = try await store.userHandle(for: caller.name)
        let now = clock.now()
        try await requireNotThrottled(caller)
        let approved: AccessRequest
        do {
            let newsroom = requests.newsroom
            approved = try await store.approveWithKey(challengeID: body.ceremonyId, approver: caller.name, at: now) { request, approval, keys in
                switch Self.decide(
                    request: request, expected: id, approval: approval, keys: keys, response: response, caller: caller,
                    userHandle: handle, relyingParty: relyingParty, at: now
                ) {
                case .approved(let change, let usedKey): .approved(newsroom.announcing(change, at: now), usedKey: usedKey)
                case let other: other
                }
            }
            // A key approval that completes its request announces the decision: send it now.
            if approved.state == .approved { requests.newsroom.send() }
        } catch let error as any DecisionRefusal {
            try await store.record(Self.refusals(of: caller), at: now)
            throw error
        }
        return approved
    }

    static func refusals(of approver: Actor) -> AttemptCounter {
        AttemptCounter(.keyApprovalRefusals, key: approver.name.rawValue, limit: refusalLimit)
    }

    private func requireNotThrottled(_ caller: Actor) async throws {
        guard let wait = try await store.retryAfter(Self.refusals(of: caller), at: clock.now()) else { return }
        var headers = HTTPFields()
        headers[.retryAfter] = String(Int(wait.rounded(.up)))
        throw GatewayError(
            status: .tooManyRequests, code: APIErrorCode.rateLimited,
            message: "too many refused key approvals; try again in \(Int(wait.rounded(.up))) seconds", headers: headers
        )
    }

    /// The decision inside the store's transaction: the challenge re-derived from the request as
    /// it is now (so edited content fails here), every WebAuthn check, then the core rules.
    static func decide(
        request: AccessRequest, expected id: RequestID, approval: ApprovalChallenge, keys: [EnrolledKey], response: AssertionResponse,
        caller: Actor, userHandle: [UInt8], relyingParty: RelyingParty, at now: Date
    ) -> KeyApprovalOutcome {
        func refused(_ error: any Error, code: String, flagged: EnrolledKey? = nil) -> KeyApprovalOutcome {
            var events = [AuditEvent(time: now, actor: caller.name.rawValue, action: .keyApprovalRefused, subject: request.id.rawValue, details: ["code": code])]
            if let flagged {
                events.append(AuditEvent(time: now, actor: AuditEvent.systemActor, action: .keyPossiblyCloned, subject: caller.name.rawValue, details: ["key": flagged.shortID]))
            }
            return .refused(error, flaggedKey: flagged, events: events)
        }
        // The store loaded the request the ceremony was for; it must be the one addressed.
        guard approval.requestID == id, request.id == id else {
            return refused(DomainError(.forbidden, "this ceremony was started for another request"), code: "wrong_request")
        }
        let challenge: ApprovalChallenge
        do throws(DomainError) {
            challenge = try ApprovalChallenge(
                requestID: request.id, contentDigest: request.canonicalContent.sha256, approver: caller.name, nonce: approval.nonce, issuedAt: approval.issuedAt
            )
        } catch {
            return refused(error, code: error.code.rawValue)
        }
        guard challenge.bytes == approval.bytes else {
            return refused(DomainError(.invalidState, "the request's content changed after the challenge was issued"), code: "content_changed")
        }
        let usable = keys.filter(HardwareKeyRules.isUsable)
        let verified: VerifiedAssertion
        do throws(WebAuthnError) {
            verified = try response.verify(over: challenge.bytes, byOneOf: usable, userHandle: userHandle, relyingParty: relyingParty)
        } catch {
            let flagged = error.code == .signCountNotIncreased ? usable.first { $0.credentialID == response.credentialID }?.flagged(at: now) : nil
            return refused(GatewayError(error), code: error.code.rawValue, flagged: flagged)
        }
        guard let key = usable.first(where: { $0.credentialID == verified.credentialID }) else {
            return refused(GatewayError(WebAuthnError(.unknownCredential, "this key is not enrolled")), code: "unknown_credential")
        }
        let evidence = HardwareKeyEvidence(
            credentialID: key.credentialID, publicKey: key.publicKey, authenticatorData: response.authenticatorData,
            clientDataJSON: response.clientDataJSON, signature: response.signature, nonce: approval.nonce
        )
        do throws(DomainError) {
            let change = try RequestRules.apply(.approveWithHardwareKey(caller, evidence), to: request, at: now)
            return .approved(change, usedKey: key.used(signCount: verified.signCount, at: now))
        } catch {
            return refused(error, code: error.code.rawValue)
        }
    }

    // MARK: Helpers

    /// Only ever passed to a dry run of the rules, which check who and when, not the evidence.
    private static let placeholderEvidence = HardwareKeyEvidence(credentialID: [], publicKey: [], authenticatorData: [], clientDataJSON: [], signature: [], nonce: [])

    func requireRelyingParty() throws -> RelyingParty {
        guard let relyingParty else {
            throw GatewayError(status: .serviceUnavailable, code: APIErrorCode.keysUnavailable, message: "hardware keys need the gateway's public URL (--public-url)")
        }
        return relyingParty
    }

    static func decode(_ text: String, _ field: String) throws -> [UInt8] {
        guard text.utf8.count <= 16 * 1024, let bytes = Base64URL.decode(text) else {
            throw GatewayError.malformed("\(field) must be base64url without padding")
        }
        return bytes
    }

    static func hash(_ code: String) -> [UInt8] { LoginSession.tokenHash(of: code.utf8) }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    static func ceremonyID() -> String { randomBytes(16).hexString }

    /// 128 random bits in lowercase base32 groups of four, easy to read out: `k3xq-…`.
    static func randomCode() -> String {
        let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz")
        var generator = SystemRandomNumberGenerator()
        let characters = (0..<26).map { _ in alphabet[Int(generator.next(upperBound: UInt32(alphabet.count)))] }
        return stride(from: 0, to: characters.count, by: 4).map { String(characters[$0..<min($0 + 4, characters.count)]) }.joined(separator: "-")
    }
}

/// An assertion from the wire, decoded and bounded before the store is touched.
struct AssertionResponse: Sendable {
    let credentialID: [UInt8]
    let authenticatorData: [UInt8]
    let clientDataJSON: [UInt8]
    let signature: [UInt8]
    let userHandle: [UInt8]?

    init(_ body: AssertionBody) throws {
        credentialID = try HardwareKeyDesk.decode(body.credentialId, "credential_id")
        authenticatorData = try HardwareKeyDesk.decode(body.authenticatorData, "authenticator_data")
        clientDataJSON = try HardwareKeyDesk.decode(body.clientDataJSON, "client_data_json")
        signature = try HardwareKeyDesk.decode(body.signature, "signature")
        userHandle = try body.userHandle.map { try HardwareKeyDesk.decode($0, "user_handle") }
    }

    /// Every WebAuthn check of this response as an answer to `challenge` by one of `keys`.
    func verify(over challenge: [UInt8], byOneOf keys: [EnrolledKey], userHandle: [UInt8], relyingParty: RelyingParty) throws(WebAuthnError) -> VerifiedAssertion {
        let credentials = keys.compactMap { key in
            (try? COSEKey(encoded: key.publicKey)).map {
                StoredCredential(id: key.credentialID, publicKey: $0, signCount: key.signCount, backupEligible: key.backupEligible, userHandle: userHandle)
            }
        }
        return try AssertionCeremony(relyingParty: relyingParty, challenge: challenge, credentials: credentials).verify(
            credentialID: credentialID, authenticatorData: authenticatorData, clientDataJSON: clientDataJSON, signature: signature, userHandle: self.userHandle
        )
    }
}
