import Foundation
import Testing
@testable import CountersignCore

struct GlobCase: Sendable, CustomTestStringConvertible {
    let pattern: String
    let value: String
    let matches: Bool

    init(_ pattern: String, _ value: String, _ matches: Bool) {
        self.pattern = pattern
        self.value = value
        self.matches = matches
    }

    var testDescription: String { "'\(pattern)' \(matches ? "matches" : "does not match") '\(value)'" }
}

@Suite("Glob patterns")
struct GlobTests {
    static let matchingTable: [GlobCase] = [
        // Literals match exactly and only exactly.
        GlobCase("production", "production", true),
        GlobCase("production", "productio", false),
        GlobCase("production", "production-eu", false),
        GlobCase("production", "Production", false),
        GlobCase("production", "", false),
        GlobCase("café", "café", true),
        // `*`: any run of characters, including none.
        GlobCase("*", "anything.at-all", true),
        GlobCase("payments-*", "payments-api", true),
        GlobCase("payments-*", "payments-", true),
        GlobCase("payments-*", "payment-api", false),
        GlobCase("*-api", "payments-api", true),
        GlobCase("*-api", "payments-api-v2", false),
        GlobCase("pay*api", "payapi", true),
        // `?`: exactly one character (a whole grapheme, not a byte).
        GlobCase("?", "a", true),
        GlobCase("?", "ab", false),
        GlobCase("??", "ab", true),
        GlobCase("db-?.prod", "db-1.prod", true),
        GlobCase("db-?.prod", "db-12.prod", false),
        GlobCase("db-?.prod", "db-.prod", false),
        GlobCase("caf?", "café", true),
        // Sets and ranges.
        GlobCase("[abc]x", "bx", true),
        GlobCase("[abc]x", "dx", false),
        GlobCase("web-[0-9]", "web-7", true),
        GlobCase("web-[0-9]", "web-x", false),
        GlobCase("web-[0-9]", "web-10", false),
        GlobCase("[a-cx-z]", "y", true),
        GlobCase("[a-cx-z]", "m", false),
        GlobCase("[a-]", "-", true),
        GlobCase("[a-]", "a", true),
        GlobCase("[a-]", "b", false),
        GlobCase("[*?]", "*", true),
        GlobCase("[*?]", "x", false),
        GlobCase("[[]", "[", true),
        // Negation.
        GlobCase("[!a-c]x", "dx", true),
        GlobCase("[!a-c]x", "bx", false),
        GlobCase("[!0-9]*", "web", true),
        GlobCase("[!0-9]*", "1web", false),
        GlobCase("[!a]", "", false),
        // Several stars.
        GlobCase("*.prod.*", "db-1.prod.example.com", true),
        GlobCase("*.prod.*", "db-1.staging.example.com", false),
        GlobCase("a*b*c", "aXbYc", true),
        GlobCase("a*b*c", "abc", true),
        GlobCase("a*b*c", "acb", false),
        GlobCase("a**b", "ab", true),
        GlobCase("*a*", "bab", true),
        GlobCase("*a*", "bbb", false),
        GlobCase("*a*a*a*a*b", "aaaab", true),
        GlobCase("*a*a*a*a*b", "aaab", false),
        GlobCase("*x*", "xyx", true),
        GlobCase("*?", "", false),
        GlobCase("*?", "a", true),
        // The empty value.
        GlobCase("*", "", true),
        GlobCase("**", "", true),
        GlobCase("?", "", false),
        GlobCase("a*", "", false),
        GlobCase("[a]", "", false),
    ]

    @Test("a pattern matches exactly the values it describes", arguments: matchingTable)
    func matching(_ row: GlobCase) throws {
        let glob = try Glob(row.pattern)
        #expect(glob.matches(row.value) == row.matches)
    }

    static let malformed: [(String, String)] = [
        ("", "the empty pattern"),
        ("[abc", "an unclosed '['"),
        ("web-[0-9", "an unclosed range"),
        ("[a-", "an unclosed range missing its end"),
        ("[!", "an unclosed negated set"),
        ("abc]", "a stray ']'"),
        ("]", "a lone ']'"),
        ("[]", "an empty set"),
        ("[!]", "an empty negated set"),
        ("[z-a]", "a reversed range"),
        ("web-[9-0]", "a reversed digit range"),
        (String(repeating: "a", count: Glob.maximumLength + 1), "a pattern one character too long"),
        (String(repeating: "*", count: 10_000), "a pattern far too long"),
    ]

    @Test("a malformed pattern is refused when parsed", arguments: malformed)
    func malformedPatternRefused(pattern: String, what: String) {
        let error = refusal { () throws(DomainError) in try Glob(pattern) }
        #expect(error?.code == .invalidField, "\(what) should be refused")
    }

    @Test("a pattern of the maximum length is accepted")
    func maximumLength() throws {
        let glob = try Glob(String(repeating: "a", count: Glob.maximumLength))
        #expect(glob.matches(String(repeating: "a", count: Glob.maximumLength)))
    }

    @Test(
        "only a pattern without wildcards or sets is literal",
        arguments: [("production", true), ("café-1.x", true), ("prod*", false), ("db-?", false), ("[a]", false)]
    )
    func literal(pattern: String, isLiteral: Bool) throws {
        #expect(try Glob(pattern).isLiteral == isLiteral)
    }

    @Test("a glob describes itself by its pattern")
    func description() throws {
        #expect(try Glob("db-[0-9]*.prod").description == "db-[0-9]*.prod")
    }

    @Test(
        "pathological patterns against long inputs finish fast",
        arguments: [
            ("*a*a*a*a*b", String(repeating: "a", count: 50_000), false),
            ("*a*a*a*a*b", String(repeating: "a", count: 50_000) + "b", true),
            ("*a*a*a*a*a*a*a*a*a*a*a*a*b", String(repeating: "a", count: 50_000), false),
            ("a*a*a*a*a*a*a*a*a*a*a*a*a*", String(repeating: "a", count: 50_000), true),
            ("*?*?*?*?*?*?*?*?*?*?*?*b", String(repeating: "a", count: 50_000), false),
        ]
    )
    func pathological(pattern: String, value: String, expected: Bool) throws {
        let glob = try Glob(pattern)
        var result: Bool?
        // A naive backtracking matcher needs on the order of n^4 steps here (years); this one, milliseconds.
        let elapsed = ContinuousClock().measure { result = glob.matches(value) }
        #expect(result == expected)
        #expect(elapsed < .seconds(3))
    }
}
