import ArgumentParser
import CMemoryFile
import CountersignAPI
import Foundation

struct SecureShell: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ssh",
        abstract: "Log in for an approved SSH request with a certificate made for this one connection.",
        discussion: """
            Makes a fresh Ed25519 key pair, gets a certificate for it (the request's approved login, until the access \
            window ends or the rule's certificate lifetime passes), and runs the system ssh as LOGIN@HOST with them. \
            The key and the certificate are handed to ssh in memory-only files (memfd) that this process holds \
            while ssh runs: nothing is written to disk, and both are gone when ssh exits. Arguments after `--` go to ssh after the destination: options first \
            (`-p 2222`, `-o …`), then a remote command, as `ssh LOGIN@HOST -p 2222 uptime` takes them. \
            The exit status is ssh's (255 when ssh itself fails); before ssh runs, 1 means the gateway refused a \
            certificate, 4 that it could not be reached.
            """
    )

    @OptionGroup var gateway: GatewayOptions
    @Argument(help: "Request id of an approved SSH request of yours.") var id: String
    @Option(help: "The ssh program to run.") var ssh = "ssh"
    @Argument(parsing: .postTerminator, help: "After `--`: ssh options, then a remote command.") var sshArguments: [String] = []

    func run() async throws {
        try await reportingFailures {
            try Self.connect(try await FreshCertificate.take(for: id, from: try gateway.client()), program: ssh, arguments: sshArguments)
        }
    }

    /// Runs `program` as LOGIN@HOST with `fresh`'s key and certificate in memory files, then
    /// exits with its status; returns only by throwing, when it cannot be run.
    static func connect(_ fresh: FreshCertificate, program: String, arguments sshArguments: [String]) throws(CLIFailure) -> Never {
        let key = try MemoryFile(name: "countersign-key", contents: fresh.privateKeyFile())
        let certificate = try MemoryFile(name: "countersign-cert", contents: fresh.issued.certificate + "\n")
        let arguments = [
            program, "-i", key.path, "-o", "CertificateFile=\(certificate.path)",
            // Only this key: an agent's or the config's keys would be offered first and could
            // use up the server's MaxAuthTries.
            "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
            "\(fresh.login)@\(fresh.host)",
        ] + sshArguments
        Terminal.printError(
            "Certificate serial \(fresh.issued.serial) for \(fresh.login)@\(fresh.host), valid until \(TextFormat.time(fresh.issued.validBefore))"
        )
        throw run(arguments)
    }

    /// Runs ssh in the foreground and waits for it, holding the memory files ssh reads through
    /// this process's `/proc` entry (ssh closes every inherited descriptor past stderr). Like
    /// system(3), Ctrl-C and Ctrl-\\ are for ssh, not for the wait.
    private static func run(_ arguments: [String]) -> CLIFailure {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGQUIT)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))
        signal(SIGINT, SIG_IGN)
        signal(SIGQUIT, SIG_IGN)
        let argv = arguments.map { strdup($0) }
        defer { argv.forEach { free($0) } }
        var child = pid_t()
        let spawned = posix_spawnp(&child, arguments[0], nil, &attributes, argv + [nil], environ)
        guard spawned == 0 else {
            return .input("cannot run \(arguments[0]): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 {
            guard errno == EINTR else { return .input("lost track of \(arguments[0]): \(String(cString: strerror(errno)))") }
        }
        // WIFEXITED and friends are macros Swift does not import: the low 7 bits are the signal.
        let signal = status & 0x7F
        Foundation.exit(signal == 0 ? (status >> 8) & 0xFF : 128 + signal)
    }
}

/// A file in memory only (memfd_create(2)), mode 0600 as ssh demands of a key, which another
/// process of this user opens by its `/proc/PID/fd/N` path while this one holds it.
private struct MemoryFile {
    let path: String

    init(name: String, contents: String) throws(CLIFailure) {
        let descriptor = countersign_memory_file(name)
        guard descriptor >= 0 else { throw .input("cannot make a memory file for \(name): \(String(cString: strerror(errno)))") }
        let bytes = Array(contents.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { throw .input("cannot write the memory file for \(name): \(String(cString: strerror(errno)))") }
            written += count
        }
        guard fchmod(descriptor, 0o600) == 0 else { throw .input("cannot protect the memory file for \(name)") }
        path = "/proc/\(getpid())/fd/\(descriptor)"
    }
}
