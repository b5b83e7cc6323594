import CountersignAPI
import CountersignCore
import CountersignStore
import Crypto
import DeployTokens
import Foundation
import Keyring

/// Signs the deploy tokens of approved deploy requests, in the transaction that allocates each
/// one's serial and audits it, and publishes the keys they are verified with.
struct DeployTokenIssuer: Sendable {
    /// `iss` when no public URL is configured: a token then names no gateway in particular, and
    /// deploy tooling can check its issuer only through the JWKS it trusts.
    static let unnamedIssuer = "countersign"

    let store: any GatewayStore
    let keyring: any Keyring
    /// `iss`: the gateway's public origin.
    let issuer: String
    let clock: any WallClock

    static let name = "deploy token issuer"

    /// The token key's generations as every gateway sharing the keyring sees them now.
    func keys() throws(GatewayError) -> KeySet {
        try keyring.keySet(for: .deployTokens, of: Self.name)
    }

    /// The JWKS deploy tooling verifies with: every generation published now, oldest first.
    func publishedKeys() throws(GatewayError) -> DeployTokenKeySet {
        DeployTokenKeySet(publicKeys: try keys().published(at: clock.now()).map(\.publicKey))
    }

    /// The signer of the generation that signs at `now`.
    func signer(at now: Date) throws(GatewayError) -> DeployTokenSigner {
        DeployTokenSigner(signingKey: try keyring.signingKey(for: .deployTokens, of: Self.name, at: now))
    }

    /// Rotating the token key, and distrusting it in an emergency (out of the JWKS at once).
    /// Deploy tooling knows a token key by its `kid` (its RFC 7638 thumbprint), and the audit
    /// names it so.
    var rotation: KeyRotation {
        KeyRotation(
            store: store, keyring: keyring, clock: clock, purpose: .deployTokens, name: "deploy token key",
            fingerprint: { DeployTokenKeySet.keyID(of: $0) }
        )
    }

    /// A token for request `id`, taken by `caller`: the core's grant decides who may have one and
    /// until when; the store allocates its serial and commits its row and `credential.issued`
    /// event with it, or nothing is issued.
    func issue(for id: RequestID, by caller: Actor) async throws -> IssuedDeployToken {
        let now = clock.now()
        let signer = try signer(at: now)
        return try await store.issueCredential(for: id, at: now) { request, serial in
            let grant = try CredentialRules.grant(.deployToken, for: request, to: caller.name, lifetime: CredentialRules.maximumLifetime, at: now)
            return try mint(grant, of: request, serial: serial, signer: signer, at: now)
        }
    }

    /// The unit of work of one token, inside a store's `issueCredential`: the token for `grant`
    /// under `serial`, signed, and the change that records it, audited as taken by `takenBy` (or
    /// the holder). For any caller that has its own grant (the deploy gate's `--token-out`).
    func mint(
        _ grant: CredentialGrant, of request: AccessRequest, serial: CredentialSerial, signer: DeployTokenSigner, at now: Date,
        takenBy: String? = nil
    ) throws -> (change: RequestChange, made: IssuedDeployToken) {
        guard grant.kind == .deployToken, case .deploy(let target) = request.target else {
            throw DomainError(.invalidState, "request \(request.id) is a \(request.kind) request; it yields no deploy token")
        }
        let claims = DeployTokenClaims(
            issuer: issuer, subject: request.requester.rawValue, tokenID: serial.description, requestID: request.id.rawValue,
            service: target.service, environment: target.environment, commit: target.commit.description,
            approvers: request.approvals.map { DeployTokenApprover(name: $0.approver.rawValue, method: DeployTokenApprover.Method($0.method)) },
            issuedAt: now, notBefore: grant.validAfter, expiresAt: grant.validBefore
        )
        let signed: SignedDeployToken
        do {
            signed = try signer.sign(claims)
        } catch {
            throw GatewayError(status: .serviceUnavailable, code: APIErrorCode.signingUnavailable, message: "the deploy token key cannot sign now; nothing was issued")
        }
        let fingerprint = SHA256.hash(data: Array(signed.compact.utf8)).hexString
        let change = try CredentialRules.issue(grant, of: request, serial: serial, fingerprint: fingerprint, at: now, takenBy: takenBy)
        return (change, IssuedDeployToken(token: signed, serial: serial))
    }
}

/// A deploy token as issued: the token and the serial its row is kept under.
struct IssuedDeployToken: Sendable {
    let token: SignedDeployToken
    let serial: CredentialSerial
}

extension DeployTokenApprover.Method {
    init(_ method: ApprovalMethod) {
        switch method {
        case .hardwareKey: self = .hardwareKey
        case .session: self = .session
        }
    }
}
