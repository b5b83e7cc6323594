import CPAM
import Foundation
import TestSupport
import Testing

@testable import PAMAuth

// These tests drive the real libpam with real modules (pam_pwdfile, pam_listfile,
// pam_permit) from a throwaway config directory read through pam_start_confdir, so nothing
// under /etc changes. A refused password costs PAM's fail delay (about 1.5–2.5 s); those
// cases are few and run in parallel.

@Suite("PAMAuthenticator against real PAM modules")
struct PAMAuthenticatorTests {
    static let alice = (username: "alice", password: "correct horse battery staple")
    static let lockedOut = (username: "mallory", password: "mallory-pw")

    @Test("The right password for an enabled user authenticates")
    func rightPasswordAuthenticates() async throws {
        let outcome = try await withPAMConfiguration { directory in
            PAMAuthenticator(service: "countersign-test", configDirectory: directory)
                .authenticate(username: Self.alice.username, password: Self.alice.password)
        }
        #expect(outcome == .authenticated(canonicalUsername: Self.alice.username))
    }

    @Test("A wrong password is refused as bad credentials after PAM's fail delay")
    func wrongPasswordIsBadCredentials() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = try await withPAMConfiguration { directory in
            PAMAuthenticator(service: "countersign-test", configDirectory: directory)
                .authenticate(username: Self.alice.username, password: "Correct horse battery staple")
        }
        #expect(outcome == .refused(.badCredentials))
        #expect(clock.now - start >= .seconds(1))
    }

    @Test("An unknown user is refused exactly like a wrong password, delay included")
    func unknownUserLooksLikeWrongPassword() async throws {
        // pam_pwdfile answers PAM_USER_UNKNOWN here; callers must not be able to tell.
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = try await withPAMConfiguration { directory in
            PAMAuthenticator(service: "countersign-test", configDirectory: directory)
                .authenticate(username: "zed", password: Self.alice.password)
        }
        #expect(outcome == .refused(.badCredentials))
        #expect(clock.now - start >= .seconds(1))
    }

    @Test("A user whose password field is empty is refused, because null passwords are disallowed")
    func emptyStoredPasswordIsRefused() async throws {
        // Without PAM_DISALLOW_NULL_AUTHTOK, pam_pwdfile would accept any password here.
        let outcome = try await withPAMConfiguration(extraPasswdLines: ["nopass:"]) { directory in
            PAMAuthenticator(service: "countersign-test", configDirectory: directory)
                .authenticate(username: "nopass", password: "anything")
        }
        #expect(outcome == .refused(.badCredentials))
    }

    @Test("A locked-out user with the right password is refused at the account stage")
    func lockedOutUserIsAccountUnavailable() async throws {
        let outcome = try await withPAMConfiguration { directory in
            PAMAuthenticator(service: "countersign-test", configDirectory: directory)
                .authenticate(username: Self.lockedOut.username, password: Self.lockedOut.password)
        }
        #expect(outcome == .refused(.accountUnavailable))
    }

    @Test("A service file missing from the config directory makes pam_start fail with PAM_ABORT")
    func missingServiceFileIsAServiceError() async throws {
        // With a config directory PAM falls back neither to "other" (absent here) nor to
        // /etc/pam.d; pam_start_confdir itself returns PAM_ABORT and no handle.
        let outcome = try await withPAMConfiguration { directory in
            PAMAuthenticator(service: "no-such-service", configDirectory: directory)
                .authenticate(username: Self.alice.username, password: Self.alice.password)
        }
        #expect(outcome == .refused(.serviceError(code: PAM_ABORT, message: "pam_start: Critical error - immediate abort")))
    }

    @Test("A config directory that does not exist fails the same way as a missing service file")
    func missingConfigDirectoryIsAServiceError() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("countersign-pam-absent-\(UUID().uuidString)").path
        let outcome = PAMAuthenticator(service: "countersign-test", configDirectory: directory)
            .authenticate(username: Self.alice.username, password: Self.alice.password)
        #expect(outcome == .refused(.serviceError(code: PAM_ABORT, message: "pam_start: Critical error - immediate abort")))
    }

    @Test("A service file without auth lines is a service error, not bad credentials")
    func emptyServiceFileIsAServiceError() async throws {
        // libpam answers PAM_PERM_DENIED when a stack has no modules: a misconfiguration,
        // which must not be mistaken for a user typing the wrong password.
        let outcome = try await withPAMConfiguration { directory in
            PAMAuthenticator(service: "empty", configDirectory: directory)
                .authenticate(username: Self.alice.username, password: Self.alice.password)
        }
        #expect(outcome == .refused(.serviceError(code: PAM_PERM_DENIED, message: "pam_authenticate: Permission denied")))
    }

    // The "permit-all" service accepts anyone, so a refusal from it proves the input was
    // rejected before PAM was asked.

    @Test(
        "Malformed usernames are refused as bad credentials without consulting PAM",
        arguments: [
            Input("empty", ""),
            Input("65 bytes", String(repeating: "a", count: 65)),
            Input("leading dash", "-alice"),
            Input("space", "alice smith"),
            Input("colon, the pwdfile field separator", "alice:x"),
            Input("newline", "alice\n"),
            Input("NUL", "alice\0"),
            Input("non-ASCII letter", "ålice"),
            Input("slash", "alice/../root"),
            Input("bidi override", "al\u{202E}ice"),
        ]
    )
    func malformedUsernameNeverReachesPAM(username: Input) async throws {
        let outcome = try await withPAMConfiguration { directory in
            PAMAuthenticator(service: "permit-all", configDirectory: directory)
                .authenticate(username: username.value, password: "password")
        }
        #expect(outcome == .refused(.badCredentials))
    }

    @Test(
        "Empty, oversized and NUL-containing passwords are refused as bad credentials without consulting PAM",
        arguments: [
            Input("empty", ""),
            Input("1025 bytes", String(repeating: "p", count: 1025)),
            Input("1026 bytes in 513 characters", String(repeating: "é", count: 513)),
            Input("NUL inside", "pass\0word"),
            Input("only NUL", "\0"),
        ]
    )
    func malformedPasswordNeverReachesPAM(password: Input) async throws {
        let outcome = try await withPAMConfiguration { directory in
            PAMAuthenticator(service: "permit-all", configDirectory: directory)
                .authenticate(username: "alice", password: password.value)
        }
        #expect(outcome == .refused(.badCredentials))
    }

    @Test("Inputs at the edge of the bounds do reach PAM")
    func inputsAtTheBoundsReachPAM() async throws {
        let longest = "A.b_c-" + String(repeating: "9", count: 58)
        let outcomes = try await withPAMConfiguration { directory in
            let authenticator = PAMAuthenticator(service: "permit-all", configDirectory: directory)
            return [
                authenticator.authenticate(username: "a", password: "p"),
                authenticator.authenticate(username: longest, password: String(repeating: "p", count: 1024)),
            ]
        }
        #expect(outcomes == [.authenticated(canonicalUsername: "a"), .authenticated(canonicalUsername: longest)])
    }

    @Test("A module that rewrites the user (as case-folding directories do) makes PAM name the canonical account, not the typed one")
    func rewrittenUserIsTheCanonicalName() async throws {
        // The module folds PAM_USER to lower case before pam_pwdfile looks it up, as SSSD or
        // winbind answer for `ALICE` with alice's entry: ALICE proves alice's password.
        let outcome = try await withPAMConfiguration(caseFoldingUsers: true) { directory in
            PAMAuthenticator(service: "case-folding", configDirectory: directory)
                .authenticate(username: "ALICE", password: Self.alice.password)
        }
        #expect(outcome == .authenticated(canonicalUsername: "alice"))
    }

    @Test("A name NSS knows is spelled as its passwd entry spells it")
    func nssNameIsTheCanonicalName() async throws {
        // root is in every passwd database; the files backend matches exactly, so this checks
        // that the NSS entry is read and its pw_name kept, not that case is folded.
        let outcome = try await withPAMConfiguration { directory in
            PAMAuthenticator(service: "permit-all", configDirectory: directory).authenticate(username: "root", password: "p")
        }
        #expect(outcome == .authenticated(canonicalUsername: "root"))
        #expect(SystemAccountName.canonical("countersign-no-such-account") == "countersign-no-such-account")
    }

    @Test("The demo script builds a private config in which every documented user signs in, twice over")
    func demoScriptConfigAuthenticatesDemoUsers() async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("countersign-pam-demo-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = packageRoot.appendingPathComponent("scripts/demo-pam.sh")
        let users = ["alice", "bob", "carol", "dave", "erin"]

        let outcomes = try await blocking {
            // Running it twice checks that it is idempotent.
            for _ in 1...2 {
                _ = try run(script, [directory.path])
            }
            let authenticator = PAMAuthenticator(service: "countersign", configDirectory: directory.path)
            return users.map { authenticator.authenticate(username: $0, password: "\($0)-demo-pw") }
        }

        #expect(try permissions(of: directory) == 0o700)
        #expect(try permissions(of: directory.appendingPathComponent("passwd")) == 0o600)
        #expect(outcomes == users.map { .authenticated(canonicalUsername: $0) })
    }
}

@Suite("PAM conversation and result mapping")
struct PAMConversationTests {
    @Test("The conversation answers hidden prompts with the whole password and leaves messages unanswered")
    func conversationAnswersHiddenPrompts() {
        let password = String(repeating: "p", count: 1023) + "!"
        let result = converse(
            [(PAM_TEXT_INFO, "Welcome"), (PAM_PROMPT_ECHO_OFF, "Password: "), (PAM_ERROR_MSG, "Careful")],
            password: password
        )
        #expect(result.status == PAM_SUCCESS)
        #expect(result.answers == [nil, password, nil])
    }

    @Test("The conversation refuses an echoed prompt instead of sending the password")
    func conversationRefusesEchoedPrompts() {
        let result = converse([(PAM_PROMPT_ECHO_OFF, "Password: "), (PAM_PROMPT_ECHO_ON, "Login: ")], password: "pw")
        #expect(result.status == PAM_CONV_ERR)
        #expect(result.answers == nil)
    }

    @Test("The conversation refuses message styles it does not know")
    func conversationRefusesUnknownStyles() {
        let result = converse([(PAM_BINARY_PROMPT, "")], password: "pw")
        #expect(result.status == PAM_CONV_ERR)
        #expect(result.answers == nil)
    }

    @Test(
        "Authentication-stage codes become bad credentials only when they are about the user",
        arguments: [
            (PAM_AUTH_ERR, PAMRefusal.badCredentials),
            (PAM_USER_UNKNOWN, .badCredentials),
            (PAM_CRED_INSUFFICIENT, .badCredentials),
            (PAM_MAXTRIES, .badCredentials),
            (PAM_PERM_DENIED, .serviceError(code: PAM_PERM_DENIED, message: "pam_authenticate: Permission denied")),
            (PAM_AUTHINFO_UNAVAIL, .serviceError(code: PAM_AUTHINFO_UNAVAIL, message: "pam_authenticate: Authentication service cannot retrieve authentication info")),
            (PAM_SYSTEM_ERR, .serviceError(code: PAM_SYSTEM_ERR, message: "pam_authenticate: System error")),
            (PAM_CONV_ERR, .serviceError(code: PAM_CONV_ERR, message: "pam_authenticate: Conversation error")),
        ]
    )
    func authenticationStageMapping(code: Int32, expected: PAMRefusal) {
        #expect(PAMStatus(code: code, call: "pam_authenticate").refusalAfterAuthentication == expected)
    }

    @Test(
        "Account-stage refusals become account unavailable and failures stay service errors",
        arguments: [
            (PAM_ACCT_EXPIRED, PAMRefusal.accountUnavailable),
            (PAM_PERM_DENIED, .accountUnavailable),
            (PAM_NEW_AUTHTOK_REQD, .accountUnavailable),
            (PAM_AUTHTOK_EXPIRED, .accountUnavailable),
            (PAM_AUTH_ERR, .accountUnavailable),
            (PAM_USER_UNKNOWN, .accountUnavailable),
            (PAM_SERVICE_ERR, .serviceError(code: PAM_SERVICE_ERR, message: "pam_acct_mgmt: Error in service module")),
            (PAM_ABORT, .serviceError(code: PAM_ABORT, message: "pam_acct_mgmt: Critical error - immediate abort")),
        ]
    )
    func accountStageMapping(code: Int32, expected: PAMRefusal) {
        #expect(PAMStatus(code: code, call: "pam_acct_mgmt").refusalAfterAccountCheck == expected)
    }

    @Test("Descriptions name the outcome and never carry credentials")
    func descriptions() {
        #expect(PAMOutcome.authenticated(canonicalUsername: "alice").description == "authenticated as alice")
        #expect(PAMOutcome.refused(.badCredentials).description == "refused: bad credentials")
        #expect(PAMOutcome.refused(.accountUnavailable).description == "refused: account unavailable")
        #expect(
            PAMOutcome.refused(.serviceError(code: 4, message: "pam_start: System error")).description
                == "refused: PAM service error 4: pam_start: System error"
        )
    }
}

// MARK: - Fixtures

/// Builds a PAM config directory in a fresh temporary directory, runs `body` with its path,
/// and removes it afterwards.
///
/// Users: alice (enabled) and mallory (listed in locked-out-users). Services:
/// `countersign-test` (pam_pwdfile + pam_listfile), `permit-all` (pam_permit only) and
/// `empty` (no lines). There is deliberately no `other` fallback file.
/// With `caseFoldingUsers`, also a `case-folding` service whose first module (compiled here from
/// C, as no packaged module rewrites PAM_USER) lower-cases the user before pam_pwdfile runs.
/// The fixture and `body` run on a thread of their own (`blocking`): they wait for child
/// processes and for PAM's fail delay.
private func withPAMConfiguration<Result: Sendable>(
    extraPasswdLines: [String] = [],
    caseFoldingUsers: Bool = false,
    _ body: @escaping @Sendable (String) throws -> Result
) async throws -> Result {
    try await blocking { try inPAMConfiguration(extraPasswdLines: extraPasswdLines, caseFoldingUsers: caseFoldingUsers, body) }
}

private func inPAMConfiguration<Result>(
    extraPasswdLines: [String],
    caseFoldingUsers: Bool,
    _ body: (String) throws -> Result
) throws -> Result {
    let fileManager = FileManager.default
    let directory = fileManager.temporaryDirectory.appendingPathComponent("countersign-pam-\(UUID().uuidString)")
    try fileManager.createDirectory(at: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
    defer { try? fileManager.removeItem(at: directory) }
    let path = directory.path

    let users = [PAMAuthenticatorTests.alice, PAMAuthenticatorTests.lockedOut]
    let passwd = try users.map { "\($0.username):\(try cryptHash($0.password))" } + extraPasswdLines
    try write(passwd.joined(separator: "\n") + "\n", to: "\(path)/passwd", mode: 0o600)
    // pam_listfile refuses (fails closed) if this file is world-writable.
    try write("\(PAMAuthenticatorTests.lockedOut.username)\n", to: "\(path)/locked-out-users", mode: 0o644)
    try write(
        """
        auth    required pam_pwdfile.so pwdfile=\(path)/passwd
        account required pam_listfile.so onerr=fail item=user sense=deny file=\(path)/locked-out-users
        account required pam_permit.so

        """,
        to: "\(path)/countersign-test",
        mode: 0o644
    )
    try write("auth required pam_permit.so\naccount required pam_permit.so\n", to: "\(path)/permit-all", mode: 0o644)
    try write("", to: "\(path)/empty", mode: 0o644)
    if caseFoldingUsers {
        let module = try buildCaseFoldingModule(in: path)
        try write(
            """
            auth    requisite \(module)
            auth    required pam_pwdfile.so pwdfile=\(path)/passwd
            account required pam_permit.so

            """,
            to: "\(path)/case-folding",
            mode: 0o644
        )
    }

    return try body(path)
}

/// A PAM module that does what case-insensitive directories do for PAM: it answers for the user
/// under the account's own (here: lower-case) spelling by rewriting PAM_USER.
private func buildCaseFoldingModule(in directory: String) throws -> String {
    let source = "\(directory)/pam_case_fold.c"
    let module = "\(directory)/pam_case_fold.so"
    try write(
        """
        #include <ctype.h>
        #include <stdlib.h>
        #include <string.h>
        #include <security/pam_modules.h>

        int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv) {
            const char *user = NULL;
            if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || user == NULL) return PAM_AUTH_ERR;
            char *folded = strdup(user);
            if (folded == NULL) return PAM_BUF_ERR;
            for (char *c = folded; *c; c++) *c = (char)tolower((unsigned char)*c);
            int status = pam_set_item(pamh, PAM_USER, folded);
            free(folded);
            return status == PAM_SUCCESS ? PAM_IGNORE : PAM_AUTH_ERR;
        }

        int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv) { return PAM_SUCCESS; }

        """,
        to: source,
        mode: 0o644
    )
    try run(URL(fileURLWithPath: "/usr/bin/env"), ["cc", "-shared", "-fPIC", "-o", module, source, "-lpam"])
    return module
}

private func write(_ contents: String, to path: String, mode: Int) throws {
    guard FileManager.default.createFile(atPath: path, contents: Data(contents.utf8), attributes: [.posixPermissions: mode])
    else {
        throw FixtureError("could not create \(path)")
    }
}

/// A SHA-512 crypt hash from openssl, the format pam_pwdfile expects. The password goes
/// through stdin; note that `openssl passwd -stdin` silently truncates it to 256 bytes.
private func cryptHash(_ password: String) throws -> String {
    let output = try run(URL(fileURLWithPath: "/usr/bin/env"), ["openssl", "passwd", "-6", "-stdin"], input: password + "\n")
    let hash = output.trimmingCharacters(in: .whitespacesAndNewlines)
    guard hash.hasPrefix("$6$") else {
        throw FixtureError("unexpected openssl output: \(hash)")
    }
    return hash
}

/// A `ChildProcess`, not Foundation's Process, whose `waitUntilExit` can hang under load.
@discardableResult
private func run(_ executable: URL, _ arguments: [String], input: String? = nil) throws -> String {
    let (status, output, _) = try ChildProcess.run([executable.path] + arguments, input: input, environment: nil, timeout: 60, in: NSTemporaryDirectory())
    guard status == 0 else {
        throw FixtureError("\(executable.lastPathComponent) \(arguments.first ?? "") exited with \(status)")
    }
    return output
}

private func permissions(of url: URL) throws -> Int? {
    let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
    return (attributes[.posixPermissions] as? NSNumber)?.intValue
}

private let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()  // PAMAuthTests
    .deletingLastPathComponent()  // Tests
    .deletingLastPathComponent()

/// A test input with a readable label, so NULs and kilobyte strings stay out of the test log.
struct Input: Sendable, CustomTestStringConvertible {
    let label: String
    let value: String
    init(_ label: String, _ value: String) {
        self.label = label
        self.value = value
    }
    var testDescription: String { label }
}

private struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Calls the conversation function the way libpam does, and copies out its answers.
private func converse(_ prompts: [(style: Int32, text: String)], password: String) -> (status: Int32, answers: [String?]?) {
    let count = prompts.count
    let messages = UnsafeMutablePointer<pam_message>.allocate(capacity: count)
    let messagePointers = UnsafeMutablePointer<UnsafePointer<pam_message>?>.allocate(capacity: count)
    let texts = prompts.map { strdup($0.text) }
    let secret = strdup(password)
    defer {
        texts.forEach { free($0) }
        free(secret)
        messages.deallocate()
        messagePointers.deallocate()
    }
    for (index, prompt) in prompts.enumerated() {
        (messages + index).initialize(to: pam_message(msg_style: prompt.style, msg: texts[index].map { UnsafePointer($0) }))
        messagePointers[index] = UnsafePointer(messages + index)
    }

    var replies: UnsafeMutablePointer<pam_response>?
    let status = answerPasswordPrompts(Int32(count), messagePointers, &replies, UnsafeMutableRawPointer(secret))
    guard let replies else {
        return (status, nil)
    }
    // Free the way libpam would.
    let answers = (0..<count).map { index -> String? in
        guard let response = replies[index].resp else { return nil }
        defer { free(response) }
        return String(cString: response)
    }
    free(replies)
    return (status, answers)
}
