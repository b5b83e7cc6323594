import CountersignAPI
import CountersignCore

extension RequestView {
    init(_ request: AccessRequest, caller: Actor) {
        let target: TargetView = switch request.target {
        case .deploy(let deploy):
            TargetView(service: deploy.service, environment: deploy.environment, commit: deploy.commit.description)
        case .ssh(let ssh), .breakGlass(let ssh):
            TargetView(host: ssh.host, login: ssh.login, durationSeconds: ssh.durationSeconds)
        }
        self.init(
            id: request.id.rawValue, kind: request.kind.rawValue, state: request.state.rawValue,
            requester: request.requester.rawValue, target: target, reason: request.reason, ticket: request.ticket,
            contentDigest: request.contentDigest, createdAt: request.createdAt, updatedAt: request.updatedAt,
            pendingExpiresAt: request.pendingExpiresAt, accessExpiresAt: request.accessExpiresAt,
            accessDurationSeconds: request.accessDurationSeconds, requirement: RequirementView(request),
            approvals: request.approvals.map { ApprovalView(approver: $0.approver.rawValue, at: $0.at, method: $0.method.rawValue) },
            denial: request.denial.map { DenialView(by: $0.by.rawValue, reason: $0.reason, at: $0.at) },
            closedBy: request.closedBy?.rawValue, closeReason: request.closeReason,
            certificate: request.kind != .deploy ? CertificateTermsView(request.certificateTerms) : nil,
            rollout: request.kind == .deploy
                ? RolloutView(singleUse: request.singleUse, startedAt: request.rolloutStart?.at, startedBy: request.rolloutStart?.by.auditActor)
                : nil,
            callerMayReview: request.state == .pending && RequestRules.mayReview(request, actor: caller)
                && !request.approvals.contains { $0.approver == caller.name }
        )
    }
}

extension CertificateTermsView {
    init(_ terms: CertificateTerms) {
        self.init(
            lifetimeSeconds: terms.lifetimeSeconds, sourceAddress: terms.sourceAddresses.map(\.description),
            forceCommand: terms.forceCommand, forwarding: terms.forwarding.sorted().map(\.rawValue), recording: terms.recording.rawValue
        )
    }
}

extension RequirementView {
    init(_ request: AccessRequest) {
        let progress = request.progress
        self.init(
            rule: request.ruleName, hardwareKeyRequired: request.requirement.hardwareKeyRequired,
            clauses: progress.clauses.map {
                ClauseView(group: $0.clause.group, required: $0.clause.count, approvers: $0.approvers.map(\.rawValue), satisfied: $0.isSatisfied)
            },
            satisfied: progress.isSatisfied, summary: progress.description
        )
    }
}

extension AuditEventView {
    init(_ record: AuditRecord) {
        self.init(
            sequence: record.sequence, time: record.event.time, actor: record.event.actor, action: record.event.action.rawValue,
            subject: record.event.subject, details: record.event.details,
            previousHash: record.previousHash.hexString, hash: record.hash.hexString
        )
    }
}
