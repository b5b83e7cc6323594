import ArgumentParser
import CountersignAPI
import CountersignPolicyFiles
import Crypto
import Foundation
import WebAuthn

/// A touch of the user's own enrolled security key over a gateway's key challenge, without a
/// browser: this CLI is the WebAuthn client. It writes the client data a browser would (for the
/// origin the gateway names), and has the authenticator program (fido2-assert) ask the key to
/// sign its hash, for each of the user's enrolled keys in turn on each key plugged in, until one
/// holds it. The gateway then verifies the answer as it verifies a browser's.
struct KeyTouch {
    static let defaultTimeout = 60

    let program: AuthenticatorProgram
    /// Nil: each device `fido2-token -L` lists.
    let device: String?
    /// Seconds each try may take, PIN and touch included.
    let timeout: Int

    /// The answer to `options`; `purpose` ends "Touch your security key to …" on standard error.
    func answer(_ options: AssertionOptionsView, to purpose: String, gateway: GatewayClient) throws(CLIFailure) -> AssertionBody {
        do {
            return try sign(options, purpose: purpose, gateway: gateway)
        } catch {
            throw error.failure
        }
    }

    private func sign(_ options: AssertionOptionsView, purpose: String, gateway: GatewayClient) throws(KeyTouchProblem) -> AssertionBody {
        let clientData = try WebAuthnClientData.assertion(
            challenge: options.challenge, origin: options.origin ?? WebAuthnClientData.origin(of: gateway.server)
        )
        let rpID = options.rpId
        guard !rpID.isEmpty, rpID.utf8.count <= 253, rpID.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }) else {
            throw .unusableChallenge("its relying party id is not a host name")
        }
        var credentials: [[UInt8]] = []
        for descriptor in options.allowCredentials.prefix(64) {
            guard let id = Base64URL.decode(descriptor.id), (1...AuthenticatorData.maximumCredentialIDLength).contains(id.count) else {
                throw .unusableChallenge("a credential id is not base64url")
            }
            credentials.append(id)
        }
        guard !credentials.isEmpty else { throw .unusableChallenge("it lists none of your keys") }
        let hash = Array(SHA256.hash(data: clientData))
        let devices = if let device { [device] } else { try KeyDevices.listed() }

        for device in devices {
            for (index, credential) in credentials.enumerated() {
                let which = credentials.count > 1 ? ", your enrolled key \(index + 1) of \(credentials.count)" : ""
                Terminal.printError("Touch your security key to \(purpose) (\(device)\(which)): enter its PIN when asked, then touch it.")
                let outcome = try program.assert(clientDataHash: hash, rpID: rpID, credentialID: credential, device: device, timeout: timeout)
                guard case .signed(let assertion) = outcome else { continue }
                return AssertionBody(
                    ceremonyId: options.ceremonyId, credentialId: Base64URL.encode(credential),
                    authenticatorData: Base64URL.encode(assertion.authenticatorData), clientDataJSON: Base64URL.encode(clientData),
                    signature: Base64URL.encode(assertion.signature), userHandle: nil
                )
            }
        }
        throw .notEnrolledHere(devices: devices)
    }
}

extension CLIFailure {
    /// The gateway's refusal of a touch by its WebAuthn checks (another key's signature, other
    /// client data, a counter gone back), said as a refusal of the touch.
    var asTouchRefusal: CLIFailure {
        guard let apiCode, WebAuthnError.Code(rawValue: apiCode) != nil else { return self }
        var failure = CLIFailure(kind: kind, message: "the gateway refused the touch of your key: \(message)")
        failure.apiCode = apiCode
        return failure
    }
}

/// How to reach the user's security key, shared by the commands that touch it.
struct KeyTouchOptions: ParsableArguments {
    static let commandVariable = "COUNTERSIGN_AUTHENTICATOR_COMMAND"
    static let deviceVariable = "COUNTERSIGN_KEY_DEVICE"

    @Option(help: ArgumentHelp(
        "The program that asks your security key to sign: libfido2's fido2-assert, or one taking its arguments, input and output. [env: \(commandVariable); default: fido2-assert]",
        valueName: "program"
    ))
    var authenticatorCommand: String?

    @Option(help: ArgumentHelp("Your security key's device, e.g. /dev/hidraw3. [env: \(deviceVariable); default: each key `fido2-token -L` lists]", valueName: "device"))
    var keyDevice: String?

    @Option(help: "How long each try may take, PIN and touch included, e.g. 30s (1s to 5m; default 1m).")
    var keyTimeout: KeyTimeout?

    var keyTouch: KeyTouch {
        let environment = ProcessInfo.processInfo.environment
        let command = authenticatorCommand ?? environment[Self.commandVariable].flatMap { $0.isEmpty ? nil : $0 } ?? AuthenticatorProgram.defaultCommand
        return KeyTouch(
            program: AuthenticatorProgram(command: command),
            device: keyDevice ?? environment[Self.deviceVariable].flatMap { $0.isEmpty ? nil : $0 },
            timeout: keyTimeout?.seconds ?? KeyTouch.defaultTimeout
        )
    }
}

/// `--key-timeout`, as `30s` or `2m`, read once.
struct KeyTimeout: ExpressibleByArgument {
    let seconds: Int

    init?(argument: String) {
        guard let seconds = PolicyDuration.seconds(from: argument), (1...300).contains(seconds) else { return nil }
        self.seconds = seconds
    }
}
