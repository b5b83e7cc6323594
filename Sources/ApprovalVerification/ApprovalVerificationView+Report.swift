import CountersignAPI

extension ApprovalVerificationView {
    public init(_ report: ApprovalVerificationReport) {
        self.init(
            ok: report.isIntact, requestsRead: report.requestsRead, approvalsVerified: report.approvalsVerified,
            sessionApprovals: report.sessionApprovals,
            faults: report.faults.map {
                Fault(requestId: $0.requestID.rawValue, approver: $0.approver?.rawValue, position: $0.position, code: $0.code, message: $0.message)
            }
        )
    }
}
