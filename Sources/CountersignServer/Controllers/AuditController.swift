import ApprovalVerification
import CountersignAPI
import CountersignCore
import CountersignStore
import Crypto
import Hummingbird
import WebAuthn

/// `GET /v1/audit`, `GET /v1/audit/verify` and `GET /v1/audit/verify-approvals`: for the
/// auditors group only.
struct AuditController {
    let store: any GatewayStore
    let checkpointKey: Curve25519.Signing.PublicKey
    let relyingParty: RelyingParty?

    static let defaultPageSize = 100
    static let maximumPageSize = 1000

    func register(on routes: RouteRecorder) {
        routes.on(.get, "/v1/audit", use: page)
        routes.on(.get, "/v1/audit/verify", use: verify)
        routes.on(.get, "/v1/audit/verify-approvals", use: verifyApprovals)
    }

    @Sendable func page(_ request: Request, context: GatewayContext) async throws -> JSONResponse<AuditPageView> {
        try requireAuditor(context)
        let query = request.uri.queryParameters
        let after: Int64 = try query.get("after").map { value throws(GatewayError) -> Int64 in
            guard let after = Int64(value), after >= 0 else { throw GatewayError.invalidQuery("after must be a sequence number") }
            return after
        } ?? 0
        let limit = try query.get("limit").map { value throws(GatewayError) in
            guard let limit = Int(value), (1...Self.maximumPageSize).contains(limit) else {
                throw GatewayError.invalidQuery("limit must be between 1 and \(Self.maximumPageSize)")
            }
            return limit
        } ?? Self.defaultPageSize
        let last: Int64? = try query.get("last").map { value throws(GatewayError) -> Int64 in
            guard let last = Int64(value), (1...Int64(Self.maximumPageSize)).contains(last) else {
                throw GatewayError.invalidQuery("last must be between 1 and \(Self.maximumPageSize)")
            }
            return last
        }
        let start = try await last.asyncMap { count in max(0, (try await store.auditHead()?.sequence ?? 0) - count) } ?? after
        let records = try await store.auditRecords(after: start, limit: limit)
        return JSONResponse(AuditPageView(
            events: records.map(AuditEventView.init), nextAfter: records.count == limit ? records.last?.sequence : nil
        ))
    }

    @Sendable func verify(_ request: Request, context: GatewayContext) async throws -> JSONResponse<AuditVerificationView> {
        try requireAuditor(context)
        let result = try await store.verifyAudit(publicKey: checkpointKey)
        return JSONResponse(AuditVerificationView(result))
    }

    @Sendable func verifyApprovals(_ request: Request, context: GatewayContext) async throws -> JSONResponse<ApprovalVerificationView> {
        try requireAuditor(context)
        return JSONResponse(ApprovalVerificationView(try await ApprovalVerifier.verify(store, relyingParty: relyingParty)))
    }

    private func requireAuditor(_ context: GatewayContext) throws {
        guard try context.requireIdentity().actor.groups.contains(WellKnownGroup.auditors) else {
            throw GatewayError(status: .forbidden, code: DomainError.Code.forbidden.rawValue, message: "the audit log is open to the \(WellKnownGroup.auditors) group only")
        }
    }
}

extension AuditVerificationView {
    init(_ verification: AuditVerification) {
        self.init(
            ok: verification.fault == nil, verifiedEvents: verification.recordsVerified, checkpoints: verification.checkpointCount,
            firstFault: verification.fault.map { AuditFaultView(sequence: $0.sequence, kind: $0.kind.rawValue, message: $0.message) }
        )
    }
}

extension Optional {
    func asyncMap<Mapped>(_ transform: (Wrapped) async throws -> Mapped) async rethrows -> Mapped? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
