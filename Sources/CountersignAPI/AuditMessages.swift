import Foundation

/// One audit record as `GET /v1/audit` and `countersign audit export --format jsonl` show it.
public struct AuditEventView: Codable, Sendable, Equatable {
    public let sequence: Int64
    public let time: Date
    public let actor: String
    public let action: String
    public let subject: String
    public let details: [String: String]
    public let previousHash: String
    public let hash: String

    public init(sequence: Int64, time: Date, actor: String, action: String, subject: String, details: [String: String], previousHash: String, hash: String) {
        self.sequence = sequence
        self.time = time
        self.actor = actor
        self.action = action
        self.subject = subject
        self.details = details
        self.previousHash = previousHash
        self.hash = hash
    }
}

public struct AuditPageView: Codable, Sendable, Equatable {
    public let events: [AuditEventView]
    /// Pass as `after` for the next page; absent when the page reached the head.
    public let nextAfter: Int64?

    public init(events: [AuditEventView], nextAfter: Int64?) {
        self.events = events
        self.nextAfter = nextAfter
    }
}

public struct AuditFaultView: Codable, Sendable, Equatable {
    public let sequence: Int64
    public let kind: String
    public let message: String

    public init(sequence: Int64, kind: String, message: String) {
        self.sequence = sequence
        self.kind = kind
        self.message = message
    }
}

public struct AuditVerificationView: Codable, Sendable, Equatable {
    public let ok: Bool
    public let verifiedEvents: Int64
    public let checkpoints: Int
    public let firstFault: AuditFaultView?

    public init(ok: Bool, verifiedEvents: Int64, checkpoints: Int, firstFault: AuditFaultView?) {
        self.ok = ok
        self.verifiedEvents = verifiedEvents
        self.checkpoints = checkpoints
        self.firstFault = firstFault
    }
}

/// `GET /v1/audit/verify-approvals` and `countersign audit verify-approvals --json`.
public struct ApprovalVerificationView: Codable, Sendable, Equatable {
    public struct Fault: Codable, Sendable, Equatable {
        public let requestId: String
        /// Absent when the request itself no longer reads (`integrity_violation`: its content was edited; `corrupt_row`: it no longer decodes).
        public let approver: String?
        public let position: Int?
        public let code: String
        public let message: String

        public init(requestId: String, approver: String?, position: Int?, code: String, message: String) {
            self.requestId = requestId
            self.approver = approver
            self.position = position
            self.code = code
            self.message = message
        }
    }

    public let ok: Bool
    public let requestsRead: Int
    public let approvalsVerified: Int
    /// Approvals made without a key (rules with `hardware_key: false`): nothing to verify.
    public let sessionApprovals: Int
    public let faults: [Fault]

    public init(ok: Bool, requestsRead: Int, approvalsVerified: Int, sessionApprovals: Int, faults: [Fault]) {
        self.ok = ok
        self.requestsRead = requestsRead
        self.approvalsVerified = approvalsVerified
        self.sessionApprovals = sessionApprovals
        self.faults = faults
    }
}
