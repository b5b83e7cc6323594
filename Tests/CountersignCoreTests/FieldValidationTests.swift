import Foundation
import Testing
@testable import CountersignCore

/// A candidate value and whether the field accepts it, with why.
struct FieldCase: Sendable, CustomTestStringConvertible {
    let value: String
    let valid: Bool
    let why: String

    init(_ value: String, _ valid: Bool, _ why: String) {
        self.value = value
        self.valid = valid
        self.why = why
    }

    var testDescription: String { "\(valid ? "accepts" : "refuses") \(why)" }
}

private let sha40 = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
private let hex64 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

@Suite("Usernames")
struct UsernameTests {
    static let table: [FieldCase] = [
        FieldCase("alice", true, "a lowercase name"),
        FieldCase("Alice", true, "uppercase letters"),
        FieldCase("a", true, "a single character"),
        FieldCase("svc.deploy_bot-1", true, "dots, underscores, hyphens and digits"),
        FieldCase("a-", true, "a trailing hyphen"),
        FieldCase(String(repeating: "a", count: 64), true, "64 characters"),
        FieldCase("", false, "the empty name"),
        FieldCase(String(repeating: "a", count: 65), false, "65 characters"),
        FieldCase("-alice", false, "a leading hyphen (an option to a command)"),
        FieldCase("al ice", false, "a space"),
        FieldCase("alice@corp", false, "an at sign"),
        FieldCase("a/b", false, "a slash"),
        FieldCase("élodie", false, "a non-ASCII letter"),
        FieldCase("alice\n", false, "a trailing newline"),
        FieldCase("alice\u{0}", false, "a NUL"),
    ]

    @Test("a username is validated at the edge", arguments: table)
    func username(_ row: FieldCase) {
        #expect(Username.isValid(row.value) == row.valid)
        let error = refusal { () throws(DomainError) in try Username(row.value) }
        #expect((error == nil) == row.valid)
        if !row.valid { #expect(error?.code == .invalidField) }
    }

    @Test("decoding a username applies the same rule")
    func decoding() throws {
        let decoded = try JSONDecoder().decode([Username].self, from: Data(#"["alice"]"#.utf8))
        #expect(decoded == [user("alice")])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Username].self, from: Data(#"["-rf"]"#.utf8)) }
        #expect(String(decoding: try JSONEncoder().encode([user("bob")]), as: UTF8.self) == #"["bob"]"#)
    }
}

@Suite("Request ids")
struct RequestIDTests {
    static let table: [FieldCase] = [
        FieldCase("0123456789abcdefghjk", true, "20 characters of the alphabet"),
        FieldCase("zyxwvtsrqpnmkjhgfedc", true, "the rest of the alphabet"),
        FieldCase("0123456789abcdefghj", false, "19 characters"),
        FieldCase("0123456789abcdefghjkm", false, "21 characters"),
        FieldCase("0123456789ABCDEFGHJK", false, "uppercase"),
        FieldCase("0123456789abcdefghji", false, "'i', which Crockford base32 leaves out"),
        FieldCase("0123456789abcdefghjl", false, "'l'"),
        FieldCase("0123456789abcdefghjo", false, "'o'"),
        FieldCase("0123456789abcdefghju", false, "'u'"),
        FieldCase("0123456789abcdefghj-", false, "a hyphen"),
        FieldCase("", false, "the empty id"),
        FieldCase("../../../etc/passwd0", false, "a path"),
    ]

    @Test("a request id is 20 characters of lowercase Crockford base32", arguments: table)
    func requestID(_ row: FieldCase) {
        let error = refusal { () throws(DomainError) in try RequestID(row.value) }
        #expect((error == nil) == row.valid)
        if !row.valid { #expect(error?.code == .invalidField) }
    }

    @Test("random ids are valid and distinct")
    func randomIDs() throws {
        let ids = (0..<2000).map { _ in RequestID.random() }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            #expect(try RequestID(id.rawValue) == id)
        }
    }

    @Test("random ids come from the generator they are given")
    func seededIDs() {
        var first = SplitMix64(seed: 42)
        var again = SplitMix64(seed: 42)
        var other = SplitMix64(seed: 43)
        let a = RequestID.random(using: &first)
        #expect(a == RequestID.random(using: &again))
        #expect(a != RequestID.random(using: &other))
        #expect((try? RequestID(a.rawValue)) == a)
    }

    @Test("a request id decodes only when valid")
    func decoding() throws {
        #expect(try JSONDecoder().decode([RequestID].self, from: Data(#"["0123456789abcdefghjk"]"#.utf8)) == [Fixture.id])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([RequestID].self, from: Data(#"["nope"]"#.utf8)) }
    }
}

@Suite("Artifact references")
struct ArtifactReferenceTests {
    static let table: [FieldCase] = [
        FieldCase(sha40, true, "a full 40-digit git SHA"),
        FieldCase("sha256:" + hex64, true, "a sha256 digest"),
        FieldCase(String(sha40.dropLast()), false, "a 39-digit SHA"),
        FieldCase(sha40 + "0", false, "a 41-digit SHA"),
        FieldCase("4b825dc", false, "an abbreviated SHA"),
        FieldCase(sha40.uppercased(), false, "an uppercase SHA"),
        FieldCase("4b825dc642cb6eb9a060e54bf8d69288fbee490g", false, "a non-hex digit"),
        FieldCase(" " + String(sha40.dropFirst()), false, "a leading space"),
        FieldCase("v1.2.3", false, "a tag"),
        FieldCase("main", false, "a branch"),
        FieldCase("", false, "the empty string"),
        FieldCase("sha256:", false, "a digest prefix without digits"),
        FieldCase("sha256:" + String(hex64.dropLast()), false, "a 63-digit digest"),
        FieldCase("sha256:" + hex64 + "0", false, "a 65-digit digest"),
        FieldCase("sha256:" + hex64.uppercased(), false, "an uppercase digest"),
        FieldCase("SHA256:" + hex64, false, "an uppercase prefix"),
        FieldCase("sha512:" + hex64, false, "another algorithm"),
        FieldCase("sha256:" + sha40, false, "a git SHA behind the digest prefix"),
    ]

    @Test("a deploy names a full commit SHA or a sha256 digest", arguments: table)
    func reference(_ row: FieldCase) {
        let error = refusal { () throws(DomainError) in try ArtifactReference(row.value) }
        #expect((error == nil) == row.valid)
        if !row.valid { #expect(error?.code == .invalidField) }
    }

    @Test("a reference keeps its form and prints as it was written")
    func forms() throws {
        #expect(try ArtifactReference(sha40) == .gitCommit(sha40))
        #expect(try ArtifactReference("sha256:" + hex64) == .sha256Digest(hex64))
        #expect(try ArtifactReference(sha40).description == sha40)
        #expect(try ArtifactReference("sha256:" + hex64).description == "sha256:" + hex64)
    }

    @Test("a reference round-trips through JSON and refuses a bad one")
    func codable() throws {
        let encoded = try JSONEncoder().encode([try ArtifactReference("sha256:" + hex64)])
        #expect(String(decoding: encoded, as: UTF8.self) == "[\"sha256:\(hex64)\"]")
        #expect(try JSONDecoder().decode([ArtifactReference].self, from: encoded) == [.sha256Digest(hex64)])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([ArtifactReference].self, from: Data(#"["4b825dc"]"#.utf8)) }
    }
}

@Suite("Deploy and SSH targets")
struct TargetTests {
    static let names: [FieldCase] = [
        FieldCase("payments-api", true, "a service name"),
        FieldCase("a", true, "one character"),
        FieldCase("svc.v2_x", true, "dots and underscores"),
        FieldCase(String(repeating: "s", count: 64), true, "64 characters"),
        FieldCase("", false, "the empty name"),
        FieldCase(String(repeating: "s", count: 65), false, "65 characters"),
        FieldCase("Payments", false, "uppercase"),
        FieldCase("pay ments", false, "a space"),
        FieldCase("pay/ments", false, "a slash"),
        FieldCase("payménts", false, "a non-ASCII letter"),
        FieldCase("prod*", false, "a glob character"),
    ]

    @Test("service names are bounded", arguments: names)
    func service(_ row: FieldCase) {
        let error = refusal { () throws(DomainError) in
            try DeployTarget(service: row.value, environment: "production", commit: Fixture.commit)
        }
        #expect((error == nil) == row.valid)
        if !row.valid {
            #expect(error?.code == .invalidField)
            #expect(error?.message.hasPrefix("service ") == true)
        }
    }

    @Test("environment names are bounded", arguments: names)
    func environment(_ row: FieldCase) {
        let error = refusal { () throws(DomainError) in
            try DeployTarget(service: "payments-api", environment: row.value, commit: Fixture.commit)
        }
        #expect((error == nil) == row.valid)
        if !row.valid {
            #expect(error?.code == .invalidField)
            #expect(error?.message.hasPrefix("environment ") == true)
        }
    }

    /// 253 characters in labels of 63: the longest name DNS carries.
    static let longestHost = [String](repeating: String(repeating: "h", count: 63), count: 4).joined(separator: ".").dropLast(2).description

    static let hosts: [FieldCase] = [
        FieldCase("db-1.prod.example.com", true, "a fully qualified name"),
        FieldCase("DB-1", true, "uppercase letters (folded)"),
        FieldCase("db-1.prod.example.com.", true, "the absolute form with its trailing dot (dropped)"),
        FieldCase("10.0.0.7", true, "an IPv4 address"),
        FieldCase("0.0.0.0", true, "an IPv4 address of zeros"),
        FieldCase(longestHost, true, "253 characters"),
        FieldCase(String(repeating: "h", count: 63), true, "a 63-character label"),
        FieldCase("", false, "the empty host"),
        FieldCase(".", false, "a lone dot"),
        FieldCase(longestHost + "h", false, "254 characters"),
        FieldCase(String(repeating: "h", count: 64) + ".example.com", false, "a 64-character label"),
        FieldCase("-oProxyCommand=sh", false, "a leading hyphen (an ssh option)"),
        FieldCase("db-.example.com", false, "a label ending in a hyphen"),
        FieldCase(".example.com", false, "a leading dot"),
        FieldCase("db..example.com", false, "an empty label"),
        FieldCase("db.example.com..", false, "two trailing dots"),
        FieldCase("root@db-1", false, "a user@ prefix"),
        FieldCase("db-1:22", false, "a port"),
        FieldCase("::1", false, "an IPv6 literal"),
        FieldCase("db_1", false, "an underscore"),
        FieldCase("db 1", false, "a space"),
        FieldCase("db-1\n", false, "a newline"),
        FieldCase("\u{212A}ube.example.com", false, "the Kelvin sign, which lower-cases to an ASCII k"),
        FieldCase("127.1", false, "inet_aton shorthand for 127.0.0.1"),
        FieldCase("2130706433", false, "an IPv4 address as one number"),
        FieldCase("010.0.0.1", false, "a leading zero (octal to inet_aton)"),
        FieldCase("256.0.0.1", false, "an octet over 255"),
        FieldCase("1.2.3.4.5", false, "five numeric labels"),
    ]

    @Test("ssh hosts are bounded", arguments: hosts)
    func host(_ row: FieldCase) {
        let error = refusal { () throws(DomainError) in try SSHTarget(host: row.value, login: "postgres", durationSeconds: 600) }
        #expect((error == nil) == row.valid)
        if !row.valid { #expect(error?.code == .invalidField) }
    }

    @Test(
        "a host is kept in one spelling: lower case, without its trailing dot",
        arguments: [
            ("Db-1.prod.internal", "db-1.prod.internal"), ("DB-1.PROD.INTERNAL.", "db-1.prod.internal"),
            ("db-1.prod.internal", "db-1.prod.internal"), ("10.0.0.7.", "10.0.0.7"),
        ]
    )
    func canonicalHost(written: String, canonical: String) throws {
        #expect(try SSHTarget(host: written, login: "postgres", durationSeconds: 600).host == canonical)
    }

    static let logins: [FieldCase] = [
        FieldCase("postgres", true, "a login"),
        FieldCase("deploy_bot", true, "an underscore"),
        FieldCase("a-b", true, "a hyphen inside"),
        FieldCase(String(repeating: "l", count: 32), true, "32 characters"),
        FieldCase("", false, "the empty login"),
        FieldCase(String(repeating: "l", count: 33), false, "33 characters"),
        FieldCase("-x", false, "a leading hyphen"),
        FieldCase("Root", false, "uppercase"),
        FieldCase("post gres", false, "a space"),
        FieldCase("root;id", false, "a semicolon"),
        FieldCase("a.b", false, "a dot"),
    ]

    @Test("ssh logins are bounded", arguments: logins)
    func login(_ row: FieldCase) {
        let error = refusal { () throws(DomainError) in try SSHTarget(host: "db-1", login: row.value, durationSeconds: 600) }
        #expect((error == nil) == row.valid)
        if !row.valid { #expect(error?.code == .invalidField) }
    }

    @Test(
        "ssh durations lie between one minute and seven days",
        arguments: [(-1, false), (0, false), (59, false), (60, true), (3600, true), (604_800, true), (604_801, false), (Int.max, false)]
    )
    func duration(seconds: Int, valid: Bool) {
        let error = refusal { () throws(DomainError) in try SSHTarget(host: "db-1", login: "postgres", durationSeconds: seconds) }
        #expect((error == nil) == valid)
        if !valid { #expect(error?.code == .invalidField) }
    }

    @Test("policy attributes are the target's fields")
    func attributes() throws {
        let deploy = RequestTarget.deploy(try DeployTarget(service: "payments-api", environment: "production", commit: Fixture.commit))
        let ssh = RequestTarget.ssh(try SSHTarget(host: "db-1", login: "postgres", durationSeconds: 600))
        #expect(deploy.attributes == ["service": "payments-api", "environment": "production"])
        #expect(ssh.attributes == ["host": "db-1", "login": "postgres"])
        #expect(deploy.kind == .deploy)
        #expect(ssh.kind == .ssh)
    }
}

@Suite("Reasons and tickets")
struct ReasonAndTicketTests {
    static let reasons: [FieldCase] = [
        FieldCase("Roll out the double-charge fix", true, "a plain sentence"),
        FieldCase("Réparer le reçu — café ☕", true, "any Unicode text"),
        FieldCase("x", true, "one character"),
        FieldCase("  padded  ", true, "surrounding spaces"),
        FieldCase(String(repeating: "r", count: 1000), true, "1000 characters"),
        FieldCase(String(repeating: "é", count: 1000), true, "1000 two-byte characters"),
        FieldCase("", false, "the empty reason"),
        FieldCase("   ", false, "spaces only"),
        FieldCase("\u{00a0}\u{2003}", false, "Unicode spaces only"),
        FieldCase(String(repeating: "r", count: 1001), false, "1001 characters"),
        FieldCase(String(repeating: "👩‍👩‍👧‍👦", count: 1000), false, "1000 characters of 25 bytes each"),
        FieldCase("hotfix \u{1b}[2J", false, "a terminal escape that clears the screen"),
        FieldCase("\u{1b}]8;;https://evil.example\u{7}click\u{1b}]8;;\u{7}", false, "an OSC 8 hyperlink"),
        FieldCase("line one\nApproved-by: bob", false, "a newline forging a line"),
        FieldCase("line one\r", false, "a carriage return"),
        FieldCase("tab\there", false, "a tab"),
        FieldCase("nul\u{0}", false, "a NUL"),
        FieldCase("del\u{7f}", false, "a DEL"),
        FieldCase("next\u{85}line", false, "a C1 next-line control"),
        FieldCase("csi\u{9b}2J", false, "a C1 CSI"),
        FieldCase("deploy \u{202E}noitcudorp\u{202C} only", false, "a right-to-left override reordering what is shown"),
        FieldCase("fix \u{2066}isolated\u{2069}", false, "a bidirectional isolate"),
        FieldCase(String(repeating: "\u{200B}", count: 10), false, "ten zero-width spaces"),
        FieldCase("pay\u{200D}ments", false, "a zero-width joiner splitting a word"),
        FieldCase("\u{FEFF}fix", false, "a byte-order mark"),
        FieldCase("soft\u{00AD}hyphen", false, "a soft hyphen"),
        FieldCase("line one\u{2028}Approved-by: bob", false, "a line separator"),
        FieldCase("para one\u{2029}two", false, "a paragraph separator"),
        FieldCase("\u{3164}\u{3164}\u{3164}", false, "Hangul fillers, which render as nothing"),
    ]

    @Test("a reason is bounded free text", arguments: reasons)
    func reason(_ row: FieldCase) {
        let error = refusal { () throws(DomainError) in
            try RequestDraft(target: Fixture.deployDraft.target, reason: row.value, ticket: "INC-1")
        }
        #expect((error == nil) == row.valid)
        if !row.valid {
            #expect(error?.code == .invalidField)
            #expect(error?.message.hasPrefix("reason ") == true)
        }
    }

    static let tickets: [FieldCase] = [
        FieldCase("INC-4711", true, "a ticket reference"),
        FieldCase("https://jira.example.com/browse/CHG-12", true, "a URL"),
        FieldCase("", true, "no ticket (a rule's ticket pattern is what demands one)"),
        FieldCase(String(repeating: "T", count: 64), true, "64 characters"),
        FieldCase(String(repeating: "T", count: 65), false, "65 characters"),
        FieldCase("INC 4711", false, "a space"),
        FieldCase("INC-4711\u{00a0}", false, "a no-break space"),
        FieldCase("INC-4711\n", false, "a newline"),
        FieldCase("\u{1b}[2J", false, "a terminal escape"),
        FieldCase("INC\u{0}", false, "a NUL"),
        FieldCase("INC-4711\u{200B}", false, "a zero-width space"),
        FieldCase("\u{202E}1174-CNI", false, "a right-to-left override"),
    ]

    @Test("a ticket is a short token without spaces or control characters", arguments: tickets)
    func ticket(_ row: FieldCase) {
        let error = refusal { () throws(DomainError) in
            try RequestDraft(target: Fixture.deployDraft.target, reason: "Roll out the fix", ticket: row.value)
        }
        #expect((error == nil) == row.valid)
        if !row.valid {
            #expect(error?.code == .invalidField)
            #expect(error?.message.hasPrefix("ticket ") == true)
        }
    }

    static let ticketPatterns: [FieldCase] = [
        FieldCase("^(INC|CHG)-[0-9]+$", true, "an anchored alternation"),
        FieldCase("[A-Z]+-[0-9]+", true, "an unanchored pattern"),
        FieldCase("", false, "the empty pattern"),
        FieldCase("(INC", false, "an unbalanced parenthesis"),
        FieldCase("[", false, "an unclosed class"),
        FieldCase(String(repeating: "a", count: 257), false, "257 characters"),
    ]

    @Test("a ticket pattern is checked when loaded", arguments: ticketPatterns)
    func ticketPattern(_ row: FieldCase) {
        let error = refusal { () throws(DomainError) in try TicketPattern(row.value) }
        #expect((error == nil) == row.valid)
        if !row.valid { #expect(error?.code == .invalidField) }
    }

    @Test(
        "a ticket pattern must match the whole ticket",
        arguments: [("INC-1", true), ("CHG-42", true), ("xINC-1", false), ("INC-1x", false), ("INC-", false), ("", false)]
    )
    func ticketPatternMatchesWhole(ticket: String, matches: Bool) throws {
        #expect(try TicketPattern("(INC|CHG)-[0-9]+").matches(ticket) == matches)
    }
}

@Suite("Readable length")
struct ReadableLengthTests {
    @Test(
        "min_length counts what a reviewer can read",
        arguments: [
            ("Roll out the fix", 16), ("         x", 1), ("a  \u{2003} b", 3), ("  padded  ", 6),
            ("\u{3164}\u{3164}x", 1), ("", 0), ("café ☕", 6),
        ]
    )
    func readable(text: String, length: Int) {
        #expect(FieldRules.readableLength(text) == length)
    }
}
