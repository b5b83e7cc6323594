import CountersignCore
import CountersignStore
import WebAuthn

/// One hardware-key approval that does not re-verify.
public struct ApprovalFault: Hashable, Sendable {
    public let requestID: RequestID
    /// Nil when the request itself no longer reads (its content was edited).
    public let approver: Username?
    public let position: Int?
    public let code: String
    public let message: String
}

public struct ApprovalVerificationReport: Hashable, Sendable {
    public let requestsRead: Int
    public let approvalsVerified: Int
    public let sessionApprovals: Int
    public let faults: [ApprovalFault]

    public var isIntact: Bool { faults.isEmpty }
}

/// `audit verify-approvals`: for every hardware-key approval, the challenge is re-derived from the
/// request's stored content, the approver and the recorded nonce, and the recorded signature is
/// checked with the recorded key. Nothing in the database is taken on trust but those bytes:
/// an edited request, approver, nonce or signature shows up as a fault naming the approval.
public enum ApprovalVerifier {
    static let pageSize = 200

    public static func verify(_ store: any GatewayStore, relyingParty: RelyingParty? = nil) async throws -> ApprovalVerificationReport {
        var cursor: RequestID?
        var (requestsRead, verified, sessions) = (0, 0, 0)
        var faults: [ApprovalFault] = []
        repeat {
            let ids = try await store.requestIDs(after: cursor, limit: pageSize)
            for id in ids {
                requestsRead += 1
                let request: AccessRequest
                do {
                    guard let found = try await store.request(id) else { continue }
                    request = found
                } catch let error as StoreError where error.code == .corruptRow || error.code == .integrityViolation {
                    // Content edited behind the gateway no longer matches its digest: whatever was
                    // approved, it was not this.
                    faults.append(ApprovalFault(requestID: id, approver: nil, position: nil, code: error.code.rawValue, message: error.message))
                    continue
                }
                for (position, approval) in request.approvals.enumerated() {
                    guard let evidence = approval.evidence else {
                        sessions += 1
                        continue
                    }
                    if let fault = check(evidence, of: approval, at: position, in: request, relyingParty: relyingParty) {
                        faults.append(fault)
                    } else {
                        verified += 1
                    }
                }
            }
            cursor = ids.count == pageSize ? ids.last : nil
        } while cursor != nil
        return ApprovalVerificationReport(requestsRead: requestsRead, approvalsVerified: verified, sessionApprovals: sessions, faults: faults)
    }

    static func check(_ evidence: HardwareKeyEvidence, of approval: Approval, at position: Int, in request: AccessRequest, relyingParty: RelyingParty?) -> ApprovalFault? {
        func fault(_ code: String, _ message: String) -> ApprovalFault {
            ApprovalFault(requestID: request.id, approver: approval.approver, position: position, code: code, message: message)
        }
        let challenge: ApprovalChallenge
        do throws(DomainError) {
            challenge = try ApprovalChallenge(
                requestID: request.id, contentDigest: request.canonicalContent.sha256, approver: approval.approver,
                nonce: evidence.nonce, issuedAt: approval.at
            )
        } catch {
            return fault(error.code.rawValue, error.message)
        }
        do throws(WebAuthnError) {
            try RecordedAssertion(
                publicKey: evidence.publicKey, authenticatorData: evidence.authenticatorData,
                clientDataJSON: evidence.clientDataJSON, signature: evidence.signature
            ).verify(challenge: challenge.bytes, relyingParty: relyingParty)
            return nil
        } catch {
            return fault(error.code.rawValue, error.reason)
        }
    }
}
