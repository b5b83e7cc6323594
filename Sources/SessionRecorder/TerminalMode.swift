import CRecorderPTY
import Glibc

/// The user's terminal (the recorder's standard input: sshd's pseudo-terminal) in raw mode for
/// the session, so that every key reaches the session's own terminal as it is typed, and its
/// line discipline (echo, Ctrl-C, line editing) is the one that acts; put back as it was at the
/// end, however the session ends.
struct TerminalMode {
    private let descriptor: Int32
    private var saved: termios

    /// Raw mode on `descriptor`, or nil when it is not a terminal.
    static func makeRaw(_ descriptor: Int32) -> TerminalMode? {
        var saved = termios()
        guard isatty(descriptor) == 1, tcgetattr(descriptor, &saved) == 0 else { return nil }
        var raw = saved
        cfmakeraw(&raw)
        guard tcsetattr(descriptor, TCSADRAIN, &raw) == 0 else { return nil }
        return TerminalMode(descriptor: descriptor, saved: saved)
    }

    func restore() {
        var saved = saved
        tcsetattr(descriptor, TCSADRAIN, &saved)
    }
}

/// A terminal's size in cells, as the kernel keeps it (TIOCGWINSZ).
enum WindowSize {
    /// The size of the terminal on `descriptor`, nil when it has none (not a terminal, or 0x0 as a
    /// pseudo-terminal nobody sized is).
    static func of(_ descriptor: Int32) -> winsize? {
        var size = winsize()
        guard countersign_window_size(descriptor, &size) == 0, size.ws_col > 0, size.ws_row > 0 else { return nil }
        return size
    }
}
