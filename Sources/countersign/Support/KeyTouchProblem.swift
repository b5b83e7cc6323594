/// Why no touch of the user's security key could be had, each said plainly with what to do.
/// None is the gateway's refusal: that comes once the touch is sent.
enum KeyTouchProblem: Error, Equatable {
    /// The authenticator program (fido2-assert) or fido2-token is not installed or not executable.
    case programMissing(String)
    case programUnstartable(String, reason: String)
    /// fido2-token lists no security key.
    case noDevice
    case deviceUnopenable(String)
    /// None of the user's enrolled keys is on any device tried.
    case notEnrolledHere(devices: [String])
    case timedOut(program: String, seconds: Int)
    /// The key's own wait for a touch ran out.
    case notTouched
    case wrongPIN
    case blocked
    case noPIN(device: String)
    case noTerminalForPIN
    case cannotVerifyUser
    case cancelled
    /// Exit 1 with something else on its standard error (its last line, bounded and printable).
    case failed(program: String, said: String)
    /// It exited 0 but did not print an assertion in fido2-assert's form.
    case unreadableAnswer(program: String, why: String)
    /// The gateway's challenge cannot be put to a key (a malformed challenge, origin or rpId).
    case unusableChallenge(String)

    var failure: CLIFailure {
        switch self {
        case .programMissing(let program):
            .keyTouch("cannot run \(program): it is not installed or not executable. Touching a security key needs libfido2's fido2-tools (apt-get install fido2-tools), or --authenticator-command")
        case .programUnstartable(let program, let reason):
            .keyTouch("cannot start \(program): \(reason)")
        case .noDevice:
            .keyTouch("no security key found (fido2-token -L lists none): plug in the key you enrolled, or name its device with --key-device")
        case .deviceUnopenable(let device):
            .keyTouch("cannot open the security key at \(device): is it plugged in, and may you read and write it?")
        case .notEnrolledHere(let devices):
            .keyTouch("none of your enrolled keys is the one at \(devices.joined(separator: ", ")): plug in a key you enrolled")
        case .timedOut(let program, let seconds):
            .timeout("the security key was not touched within \(TextFormat.duration(seconds)) (\(program) stopped); run again, or give --key-timeout more")
        case .notTouched:
            .timeout("the security key was not touched in time; run again and touch it when it blinks")
        case .wrongPIN:
            .keyTouch("the security key refused its PIN: wrong PIN (the key counts the attempts)")
        case .blocked:
            .keyTouch("the security key is blocked after too many wrong PINs: unplug and replug it, or reset it and enrol it again")
        case .noPIN(let device):
            .keyTouch("the security key has no PIN, and the gateway wants the key to verify you: set one with `fido2-token -S \(device)`")
        case .noTerminalForPIN:
            .keyTouch("no terminal to ask for the security key's PIN on: run this from a terminal")
        case .cannotVerifyUser:
            .keyTouch("the security key cannot verify you (no PIN or biometric support), and the gateway wants it to")
        case .cancelled:
            .keyTouch("the key touch was cancelled")
        case .failed(let program, let said):
            .keyTouch("\(program) failed: \(said)")
        case .unreadableAnswer(let program, let why):
            .keyTouch("\(program) answered something that is not an assertion (\(why)); nothing was sent")
        case .unusableChallenge(let why):
            .unreachable("the gateway's key challenge cannot be put to a key: \(why)")
        }
    }
}
