#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

enum Terminal {
    static var standardOutputIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data("countersign: \(message)\n".utf8))
    }

    /// Reads a password from the controlling terminal with echo off, so it never appears on
    /// screen or in a terminal recording.
    static func readPassword(prompt: String) throws(CLIFailure) -> String {
        let tty = open("/dev/tty", O_RDWR)
        guard tty >= 0 else { throw .input("no terminal to ask for a password; use --password-stdin") }
        defer { close(tty) }
        var saved = termios()
        guard tcgetattr(tty, &saved) == 0 else { throw .input("cannot read the terminal's settings; use --password-stdin") }
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        _ = write(tty, prompt, prompt.utf8.count)
        guard tcsetattr(tty, TCSAFLUSH, &silent) == 0 else { throw .input("cannot turn terminal echo off; use --password-stdin") }
        defer {
            var restore = saved
            tcsetattr(tty, TCSAFLUSH, &restore)
            _ = write(tty, "\n", 1)
        }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while read(tty, &byte, 1) == 1, byte != UInt8(ascii: "\n") {
            bytes.append(byte)
            if bytes.count > 1024 { throw .input("password too long") }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// One line from standard input without its newline (`--password-stdin`).
    static func readLineFromStandardInput() throws(CLIFailure) -> String {
        guard let line = readLine(strippingNewline: true) else { throw .input("standard input is empty; expected the password on one line") }
        guard line.utf8.count <= 1024 else { throw .input("password too long") }
        return line
    }
}
