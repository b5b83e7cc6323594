import CountersignCore
import Foundation

/// Runs policy test cases against a policy with the core's own rules and nothing else: the same
/// `Policy.admit` and `RequestRules.apply` the gateway calls, so a passing suite says what the
/// gateway will do.
public enum PolicyTestRunner {
    public static func run(_ suite: PolicyTestSuite, policy: Policy) -> [PolicyTestResult] {
        suite.cases.map { PolicyTestResult(testCase: $0, outcome: evaluate($0, policy: policy)) }
    }

    /// The rules look at how an approval was made, never at the signature: checking that is the
    /// WebAuthn module's job at the gateway, so a policy test stands in for it with no bytes.
    static let simulatedKeyEvidence = HardwareKeyEvidence(credentialID: [], publicKey: [], authenticatorData: [], clientDataJSON: [], signature: [], nonce: [])

    /// Every approval happens at one fixed instant, well inside any pending lifetime.
    public static func evaluate(_ testCase: PolicyTestCase, policy: Policy, clock: any WallClock = ManualClock()) -> PolicyTestOutcome {
        let requester = Actor(name: testCase.requester, groups: policy.groups.groups(of: testCase.requester))
        let admission: Admission
        do {
            admission = try policy.admit(testCase.draft, from: requester)
        } catch {
            return .refused(error, rule: policy.matchingRule(for: testCase.draft.target)?.name)
        }
        var request = admission.request(id: RequestID.random(), requester: testCase.requester, draft: testCase.draft, at: clock.now())
        for approver in testCase.approvers {
            let actor = Actor(name: approver, groups: policy.groups.groups(of: approver))
            do {
                let action: RequestAction = switch testCase.approvalMethod {
                case .session: .approve(actor, method: .session)
                case .hardwareKey: .approveWithHardwareKey(actor, simulatedKeyEvidence)
                }
                request = try RequestRules.apply(action, to: request, at: clock.now()).request
            } catch {
                return .approvalFailed(approver: approver, error: error, rule: admission.rule.name)
            }
        }
        return request.state == .approved
            ? .approved(rule: admission.rule.name)
            : .pending(rule: admission.rule.name, progress: request.progress.description)
    }
}
