import CountersignCore
import Foundation

/// Runs policy test cases against a policy with the core's own rules and nothing else: the same
/// `Policy.admit`, `RequestRules.apply` and `BreakGlassRules.admit` the gateway calls, so a
/// passing suite says what the gateway will do.
public enum PolicyTestRunner {
    public static func run(_ suite: PolicyTestSuite, policy: Policy) -> [PolicyTestResult] {
        suite.cases.map { PolicyTestResult(testCase: $0, outcome: evaluate($0, policy: policy)) }
    }

    /// The rules look at how an approval was made, never at the signature: checking that is the
    /// WebAuthn module's job at the gateway, so a policy test stands in for it with no bytes.
    static let simulatedKeyEvidence = HardwareKeyEvidence(credentialID: [], publicKey: [], authenticatorData: [], clientDataJSON: [], signature: [], nonce: [])

    /// Every approval happens at one fixed instant, well inside any pending lifetime.
    public static func evaluate(_ testCase: PolicyTestCase, policy: Policy, clock: any WallClock = ManualClock()) -> PolicyTestOutcome {
        switch testCase.subject {
        case .request(let requester, let draft, let approvers, let approvalMethod):
            evaluate(draft, from: requester, approvers: approvers, approvalMethod: approvalMethod, policy: policy, at: clock.now())
        case .breakGlass(let user, let ask, let key):
            evaluate(ask, by: user, key: key, policy: policy, at: clock.now())
        }
    }

    private static func evaluate(
        _ draft: RequestDraft, from requester: Username, approvers: [Username], approvalMethod: ApprovalMethod, policy: Policy, at now: Date
    ) -> PolicyTestOutcome {
        let admission: Admission
        do {
            admission = try policy.admit(draft, from: actor(requester, in: policy))
        } catch {
            return .refused(error, rule: policy.matchingRule(for: draft.target)?.name)
        }
        var request = admission.request(id: RequestID.random(), requester: requester, draft: draft, at: now)
        for approver in approvers {
            let actor = actor(approver, in: policy)
            do {
                let action: RequestAction = switch approvalMethod {
                case .session: .approve(actor, method: .session)
                case .hardwareKey: .approveWithHardwareKey(actor, simulatedKeyEvidence)
                }
                request = try RequestRules.apply(action, to: request, at: now).request
            } catch {
                return .approvalFailed(approver: approver, error: error, rule: admission.rule.name)
            }
        }
        return request.state == .approved
            ? .approved(rule: admission.rule.name)
            : .pending(rule: admission.rule.name, progress: request.progress.description)
    }

    /// A touch is taken as verified, as an approval's is: what the rules decide is whether one is needed.
    private static func evaluate(_ ask: BreakGlassAsk, by user: Username, key: PolicyTestCase.KeyHolding, policy: Policy, at now: Date) -> PolicyTestOutcome {
        do {
            let admission = try BreakGlassRules.admit(
                ask, by: actor(user, in: policy), under: policy.breakGlass, hasUsableKey: key != .none, keyTouched: key == .touched, at: now
            )
            if let agreement = admission.agreement {
                return .awaitingAgreement(rule: admission.rule.name, agreement: agreement)
            }
            return .active(rule: admission.rule.name, durationSeconds: admission.durationSeconds)
        } catch {
            return .breakGlassRefused(error)
        }
    }

    private static func actor(_ user: Username, in policy: Policy) -> Actor {
        Actor(name: user, groups: policy.groups.groups(of: user))
    }
}
