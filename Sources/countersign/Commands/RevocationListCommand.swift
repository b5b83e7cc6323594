import ArgumentParser
import CountersignSSH
import Foundation
import SecureFiles

struct AdminRevocationList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "krl",
        abstract: "Fetch the gateway's SSH key revocation list into FILE, for sshd's RevokedKeys.",
        discussion: """
            Run it on each host from cron or a timer, e.g. every minute: `countersign admin krl --out \
            /etc/ssh/countersign.krl`, with `RevokedKeys /etc/ssh/countersign.krl` in sshd_config. The list is \
            public (no login needed) and made afresh on every call, so a revoked request's certificates are in it \
            at once. FILE is replaced atomically (sshd never reads half a list) with mode 0644. A list older than \
            the one already in FILE is refused (exit 1), so a stale or replayed answer cannot bring back a revoked \
            certificate; anything that is not a revocation list, or no answer, leaves FILE as it was (exit 4).
            """
    )

    @OptionGroup var gateway: GatewayOptions
    @Option(help: "Where sshd reads the list (RevokedKeys).") var out: String

    func run() async throws {
        try await reportingFailures {
            let list = try await gateway.client(requireLogin: false).getBytes("/v1/ssh/krl")
            let version: UInt64
            do throws(SSHFormatError) {
                version = try KeyRevocationList.version(of: list)
            } catch {
                throw CLIFailure.unreachable("the gateway answered with something that is not a key revocation list (\(error.message)); \(out) is unchanged")
            }
            if let currentVersion = Self.version(ofListAt: out), currentVersion > version {
                throw CLIFailure.refused("the gateway's list (version \(version)) is older than the one in \(out) (version \(currentVersion)); \(out) is unchanged")
            }
            do throws(SecureFileError) {
                try SecureFiles.replace(out, bytes: list, mode: 0o644)
            } catch {
                throw CLIFailure.input("could not write \(out): \(error.message)")
            }
            print("Wrote \(out): key revocation list version \(version), \(list.count) bytes.")
        }
    }

    /// The version of the list already at `path`, from its header alone; nil when there is none.
    static func version(ofListAt path: String) -> UInt64? {
        guard let file = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? file.close() }
        return (try? file.read(upToCount: 64)).flatMap { try? KeyRevocationList.version(of: Array($0)) }
    }
}
