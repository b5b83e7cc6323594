import Foundation
import WebAuthn

/// libfido2's `fido2-assert -G` (fido2-assert(1)) as this CLI relies on it, and nothing more, so
/// that any program keeping the same contract can stand in for it (`--authenticator-command`):
///
/// - arguments: `-G -p -v DEVICE`: get an assertion, with the user's presence (the touch) and
///   their verification (the key's PIN, which fido2-assert reads from the terminal): the gateway
///   requires both flags;
/// - standard input: the client data hash (base64), the relying party id, the credential id
///   (base64), one a line;
/// - standard output, exit 0: the client data hash, the relying party id, the authenticator data
///   (base64 of the CBOR byte string that holds it: libfido2 hands it out CBOR-encoded) and the
///   signature (base64), one a line;
/// - exit 1 with `fido2-assert: …: FIDO_ERR_…` on standard error otherwise.
struct AuthenticatorProgram {
    static let defaultCommand = "fido2-assert"
    /// Four lines of base64: an answer ten times as long is not one.
    static let outputLimit = 8 * 1024
    static let maximumSignatureLength = 512

    let command: String

    struct Assertion: Equatable {
        let authenticatorData: [UInt8]
        let signature: [UInt8]
    }

    enum Outcome: Equatable {
        case signed(Assertion)
        /// The key at that device does not hold this credential (FIDO_ERR_NO_CREDENTIALS).
        case notOnThisKey
    }

    func arguments(device: String) -> [String] { [command, "-G", "-p", "-v", device] }

    static func input(clientDataHash: [UInt8], rpID: String, credentialID: [UInt8]) -> [UInt8] {
        Array("\(Data(clientDataHash).base64EncodedString())\n\(rpID)\n\(Data(credentialID).base64EncodedString())\n".utf8)
    }

    /// Asks the key at `device` to sign `clientDataHash` for `rpID` with `credentialID`, waiting
    /// at most `timeout` seconds for the PIN and the touch.
    func assert(clientDataHash: [UInt8], rpID: String, credentialID: [UInt8], device: String, timeout: Int) throws(KeyTouchProblem) -> Outcome {
        let run: ProgramRun
        do {
            run = try ProgramRun.run(
                arguments(device: device), input: Self.input(clientDataHash: clientDataHash, rpID: rpID, credentialID: credentialID),
                timeout: Double(timeout), outputLimit: Self.outputLimit
            )
        } catch {
            switch error {
            case .missing(let program): throw .programMissing(program)
            case .cannotStart(let program, let reason): throw .programUnstartable(program, reason: reason)
            case .timedOut(let program): throw .timedOut(program: program, seconds: timeout)
            }
        }
        guard !run.outputOverflowed else { throw .unreadableAnswer(program: command, why: "more than \(Self.outputLimit) bytes") }
        guard run.status == 0 else {
            if let problem = Self.problem(in: run.error, device: device, program: command, status: run.status) { throw problem }
            return .notOnThisKey
        }
        return .signed(try Self.parse(run.output, clientDataHash: clientDataHash, rpID: rpID, program: command))
    }

    /// What a failed run's standard error says went wrong; nil when the key does not hold the
    /// credential, which is no failure while other keys are left to try.
    static func problem(in error: [UInt8], device: String, program: String, status: Int32) -> KeyTouchProblem? {
        let text = String(decoding: error, as: UTF8.self)
        let named: [(String, KeyTouchProblem?)] = [
            ("FIDO_ERR_NO_CREDENTIALS", nil),
            ("fido_dev_open", .deviceUnopenable(device)),
            ("FIDO_ERR_PIN_INVALID", .wrongPIN),
            ("FIDO_ERR_PIN_AUTH_INVALID", .wrongPIN),
            ("FIDO_ERR_PIN_BLOCKED", .blocked),
            ("FIDO_ERR_PIN_AUTH_BLOCKED", .blocked),
            ("FIDO_ERR_UV_BLOCKED", .blocked),
            ("FIDO_ERR_PIN_NOT_SET", .noPIN(device: device)),
            ("FIDO_ERR_ACTION_TIMEOUT", .notTouched),
            ("FIDO_ERR_USER_ACTION_TIMEOUT", .notTouched),
            ("FIDO_ERR_OPERATION_DENIED", .cancelled),
            ("FIDO_ERR_KEEPALIVE_CANCEL", .cancelled),
            ("FIDO_ERR_UNSUPPORTED_OPTION", .cannotVerifyUser),
            ("FIDO_ERR_INVALID_OPTION", .cannotVerifyUser),
            ("readpassphrase", .noTerminalForPIN),
        ]
        if let match = named.first(where: { text.contains($0.0) }) { return match.1 }
        return .failed(program: program, said: said(error, status: status))
    }

    /// What a failed program said last, as at most 200 printable characters, or its exit status.
    static func said(_ error: [UInt8], status: Int32) -> String {
        let last = String(decoding: error, as: UTF8.self).split(whereSeparator: \.isNewline).last ?? ""
        let printable = String(last.unicodeScalars.filter { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F }.prefix(200).map(Character.init))
            .trimmingCharacters(in: .whitespaces)
        return printable.isEmpty ? "exit status \(status)" : printable
    }

    /// The assertion in `output`, read strictly: exactly four lines, the hash and relying party
    /// echoed as given, the authenticator data one well-formed CBOR byte string of a size
    /// authenticators send, and a signature of one.
    static func parse(_ output: [UInt8], clientDataHash: [UInt8], rpID: String, program: String) throws(KeyTouchProblem) -> Assertion {
        guard let text = String(validating: output, as: UTF8.self), text.hasSuffix("\n") else {
            throw .unreadableAnswer(program: program, why: "not lines of text")
        }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count == 4 else { throw .unreadableAnswer(program: program, why: "\(lines.count == 1 ? "1 line" : "\(lines.count) lines"), not 4") }
        guard let hash = base64(lines[0]), hash == clientDataHash else {
            throw .unreadableAnswer(program: program, why: "its client data hash is not the one given")
        }
        guard lines[1] == rpID else { throw .unreadableAnswer(program: program, why: "its relying party is not \(rpID)") }
        guard let wrapped = base64(lines[2]), wrapped.count <= AssertionCeremony.maximumAuthenticatorDataLength + 3 else {
            throw .unreadableAnswer(program: program, why: "its authenticator data is not base64 of a size keys send")
        }
        let authenticatorData: [UInt8]
        do throws(WebAuthnError) {
            guard case .bytes(let bytes) = try CBORDecoder.decode(wrapped) else {
                throw WebAuthnError(.malformedCBOR, "not a byte string")
            }
            _ = try AuthenticatorData(bytes)
            authenticatorData = bytes
        } catch {
            throw .unreadableAnswer(program: program, why: "its authenticator data is not one CBOR byte string holding authenticator data: \(error.reason)")
        }
        guard let signature = base64(lines[3]), (1...maximumSignatureLength).contains(signature.count) else {
            throw .unreadableAnswer(program: program, why: "its signature is not base64 of a size keys send")
        }
        return Assertion(authenticatorData: authenticatorData, signature: signature)
    }

    /// Standard base64 with its padding, as libfido2 writes it; nothing else is read as it.
    private static func base64(_ line: String) -> [UInt8]? {
        guard line.utf8.count <= outputLimit, !line.isEmpty else { return nil }
        return Data(base64Encoded: line).map(Array.init)
    }
}
