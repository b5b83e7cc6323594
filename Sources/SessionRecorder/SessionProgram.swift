import Glibc

/// What the session runs in place of what sshd would have run itself: the user's login shell, or
/// the command they asked for (`SSH_ORIGINAL_COMMAND`) through that shell, as sshd does.
public struct SessionProgram: Sendable, Hashable {
    public let path: String
    /// argv, the program's name included.
    public let arguments: [String]
    /// What the user asked to run; nil for an interactive login.
    public let command: String?

    public init(path: String, arguments: [String], command: String?) {
        self.path = path
        self.arguments = arguments
        self.command = command
    }

    /// The shell of the user this process runs as, from the password database (not `$SHELL`,
    /// which the environment could set to anything). A login is that shell as a login shell,
    /// spelled the way sshd and login(1) spell it, `-bash` as argv[0], which every shell reads as
    /// `-l`; a command is `shell -c command`, exactly as sshd runs one.
    public static func userShell(command: String?) -> SessionProgram {
        let shell = getpwuid(getuid()).flatMap { entry in entry.pointee.pw_shell.map { String(cString: $0) } }.flatMap { $0.isEmpty ? nil : $0 } ?? "/bin/sh"
        let name = shell.split(separator: "/").last.map(String.init) ?? shell
        if let command {
            return SessionProgram(path: shell, arguments: [name, "-c", command], command: command)
        }
        return SessionProgram(path: shell, arguments: ["-" + name], command: nil)
    }
}
