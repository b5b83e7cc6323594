import CountersignCore
import CountersignWeb

extension RequestDesk {
    /// How many of a service's latest deploy requests to one environment are searched for the last
    /// approved commit: a bound on the read a page makes.
    static let comparisonDepth = 50

    /// Where a reviewer reads what `request` ships, by its rule's repository links as the policy
    /// says now (they only point at code): the commit, and the comparison with the commit last
    /// approved for the same service and environment before it. Nil for SSH requests and rules
    /// without links.
    func codeLinks(for request: AccessRequest) async throws -> DeployCodeLinks? {
        guard case .deploy(let target) = request.target,
              let links = policies.current.policy.rule(named: request.ruleName)?.repository,
              let commitURL = links.commitURL(service: target.service, commit: target.commit)
        else { return nil }
        let earlier = try await store.deployRequests(
            service: target.service, environment: target.environment, commit: nil, limit: Self.comparisonDepth
        )
        // Approved once: the window's end is set at approval and kept through expiry or revocation.
        let previous = earlier.first { $0.createdAt < request.createdAt && $0.accessExpiresAt != nil }.flatMap { previous -> ArtifactReference? in
            guard case .deploy(let earlierTarget) = previous.target else { return nil }
            return earlierTarget.commit
        }
        let compareURL = previous.flatMap { links.compareURL(service: target.service, from: $0, to: target.commit) }
        return DeployCodeLinks(commitURL: commitURL, compareURL: compareURL, previousCommit: compareURL == nil ? nil : previous?.description)
    }
}
