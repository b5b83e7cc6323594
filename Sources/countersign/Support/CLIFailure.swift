import ArgumentParser

/// Every way a command can fail, each with its documented exit code:
/// 0 ok, 1 refused or not approved, 2 usage or input error, 3 timeout, 4 gateway unreachable,
/// 5 the security key could not be asked (no authenticator program, no key, an unreadable answer).
struct CLIFailure: Error, CustomStringConvertible {
    enum Kind {
        case refused
        case input
        case timeout
        case unreachable
        case keyTouch
    }

    let kind: Kind
    let message: String
    /// The gateway's error code when the failure is its answer, for a command that tells one
    /// refusal from another.
    var apiCode: String? = nil

    static func refused(_ message: String) -> CLIFailure { CLIFailure(kind: .refused, message: message) }
    static func input(_ message: String) -> CLIFailure { CLIFailure(kind: .input, message: message) }
    static func timeout(_ message: String) -> CLIFailure { CLIFailure(kind: .timeout, message: message) }
    static func unreachable(_ message: String) -> CLIFailure { CLIFailure(kind: .unreachable, message: message) }
    static func keyTouch(_ message: String) -> CLIFailure { CLIFailure(kind: .keyTouch, message: message) }

    var exitCode: ExitCode {
        switch kind {
        case .refused: ExitCode(1)
        case .input: ExitCode(2)
        case .timeout: ExitCode(3)
        case .unreachable: ExitCode(4)
        case .keyTouch: ExitCode(5)
        }
    }

    var description: String { message }
}

extension CLIFailure {
    /// Prints the failure the way every command does and turns it into the process exit code.
    func exit() -> ExitCode {
        Terminal.printError(message)
        return exitCode
    }
}

/// Runs a command body and maps failures to messages and exit codes in one place.
func reportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let failure as CLIFailure {
        throw failure.exit()
    }
}
