import Testing
@testable import CountersignCore

@Suite("Repository links of deploy rules")
struct RepositoryLinksTests {
    static let commit = "https://git.example.com/acme/{service}/commit/{commit}"
    static let compare = "https://git.example.com/acme/{service}/compare/{from}...{to}"
    static let a = try! ArtifactReference(String(repeating: "a", count: 40))
    static let b = try! ArtifactReference(String(repeating: "b", count: 40))

    @Test("links name the service and commits; a digest or the same commit links to nothing")
    func links() throws {
        let links = try RepositoryLinks(commit: Self.commit, compare: Self.compare)
        #expect(links.commitURL(service: "payments-api", commit: Self.b) == "https://git.example.com/acme/payments-api/commit/\(Self.b)")
        #expect(links.compareURL(service: "payments-api", from: Self.a, to: Self.b) == "https://git.example.com/acme/payments-api/compare/\(Self.a)...\(Self.b)")
        #expect(links.compareURL(service: "payments-api", from: Self.b, to: Self.b) == nil)
        let digest = try ArtifactReference("sha256:" + String(repeating: "c", count: 64))
        #expect(links.commitURL(service: "payments-api", commit: digest) == nil)
        #expect(links.compareURL(service: "payments-api", from: Self.a, to: digest) == nil)
        #expect(try RepositoryLinks(commit: Self.commit, compare: nil).compareURL(service: "x", from: Self.a, to: Self.b) == nil)
    }

    @Test("a template that could leave https or break out of an href is refused", arguments: [
        "http://git.example.com/{commit}", "javascript:alert(1)//{commit}", "https://git.example.com/\"onmouseover=x/{commit}",
        "https://git.example.com/<b>/{commit}", "https://git.example.com/a b/{commit}", "https://git.example.com/{sha}/{commit}",
        "https://git.example.com/", "https://git.example.com/}{commit}", "https://git.example.com/{commit", "https://git.example.com/{commit}\n",
        "https://git.example.com/é/{commit}", "https://" + String(repeating: "a", count: 600) + "/{commit}",
    ])
    func refusedCommitTemplate(_ template: String) {
        #expect(throws: DomainError.self) { try RepositoryLinks(commit: template, compare: nil) }
    }

    @Test("a comparison names both ends and nothing else")
    func refusedCompareTemplate() {
        for template in ["https://git.example.com/compare/{to}", "https://git.example.com/compare/{from}...{to}/{commit}"] {
            #expect(throws: DomainError.self) { try RepositoryLinks(commit: Self.commit, compare: template) }
        }
    }
}
