import Foundation

/// Where reviewers read the code a deploy ships: a rule's links to a commit and to the comparison
/// with the commit last approved for the same service and environment, as URL templates with
/// `{service}`, `{commit}`, `{from}` and `{to}`.
public struct RepositoryLinks: Hashable, Sendable {
    public static let maximumTemplateLength = 512

    public let commitTemplate: String
    public let compareTemplate: String?

    public init(commit commitTemplate: String, compare compareTemplate: String?) throws(DomainError) {
        try Self.check(commitTemplate, field: "commit_url", requires: ["{commit}"], allows: ["{service}", "{commit}"])
        if let compareTemplate {
            try Self.check(compareTemplate, field: "compare_url", requires: ["{from}", "{to}"], allows: ["{service}", "{from}", "{to}"])
        }
        self.commitTemplate = commitTemplate
        self.compareTemplate = compareTemplate
    }

    /// The commit's page; nil for an artifact digest, which no repository shows.
    public func commitURL(service: String, commit: ArtifactReference) -> String? {
        guard case .gitCommit(let sha) = commit else { return nil }
        return commitTemplate.replacingPlaceholders(["{service}": service, "{commit}": sha])
    }

    /// The comparison from `previous` to `commit`; nil without a template or for digests.
    public func compareURL(service: String, from previous: ArtifactReference, to commit: ArtifactReference) -> String? {
        guard let compareTemplate, case .gitCommit(let from) = previous, case .gitCommit(let to) = commit, from != to else { return nil }
        return compareTemplate.replacingPlaceholders(["{service}": service, "{from}": from, "{to}": to])
    }

    /// An https URL of printable ASCII without quotes, angle brackets or spaces (it lands in a
    /// page's href), naming only the placeholders it may.
    private static func check(_ template: String, field: String, requires: [String], allows: Set<String>) throws(DomainError) {
        guard template.utf8.count <= maximumTemplateLength, template.hasPrefix("https://"),
              template.utf8.allSatisfy({ (0x21...0x7E).contains($0) && !"\"'<>\\`".utf8.contains($0) })
        else {
            throw DomainError(.invalidField, "\(field) must be an https:// URL of at most \(maximumTemplateLength) printable characters, without quotes, spaces or angle brackets")
        }
        for placeholder in requires where !template.contains(placeholder) {
            throw DomainError(.invalidField, "\(field) must contain \(placeholder)")
        }
        var rest = Substring(template)
        while let brace = rest.firstIndex(where: { $0 == "{" || $0 == "}" }) {
            guard rest[brace] == "{", let close = rest[brace...].firstIndex(of: "}"), allows.contains(String(rest[brace...close])) else {
                throw DomainError(.invalidField, "\(field) may name only \(allows.sorted().joined(separator: ", ")) in braces")
            }
            rest = rest[rest.index(after: close)...]
        }
    }
}

private extension String {
    func replacingPlaceholders(_ values: [String: String]) -> String {
        values.reduce(self) { text, entry in text.replacingOccurrences(of: entry.key, with: entry.value) }
    }
}
