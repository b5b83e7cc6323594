/// Where a deploy's code is read: its commit, and the comparison with the commit last approved
/// for the same service and environment (when the rule's repository links say how).
public struct DeployCodeLinks: Sendable, Equatable {
    public let commitURL: String
    public let compareURL: String?
    /// The commit the comparison starts from, shortened as people write it.
    public let previousCommit: String?

    public init(commitURL: String, compareURL: String?, previousCommit: String?) {
        self.commitURL = commitURL
        self.compareURL = compareURL
        self.previousCommit = previousCommit.map { String($0.prefix(12)) }
    }
}
