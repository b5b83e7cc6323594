import ArgumentParser
import CountersignAPI
import CountersignPolicyFiles

/// `--switch-after` of a key rotation, as `24h` or `30m`, read once and held to the range the
/// gateway takes (0s to 30d), so that a mistake is a usage error rather than a round trip.
struct KeySwitchDelay: ExpressibleByArgument, CustomStringConvertible {
    let seconds: Int
    let description: String

    static let standard = KeySwitchDelay(seconds: CertificateAuthorityRotationBody.defaultSwitchAfterSeconds, description: "24h")

    private init(seconds: Int, description: String) {
        self.seconds = seconds
        self.description = description
    }

    init?(argument: String) {
        guard let seconds = PolicyDuration.seconds(from: argument), CertificateAuthorityRotationBody.switchAfterRange.contains(seconds) else {
            return nil
        }
        self.init(seconds: seconds, description: argument)
    }

    var body: CertificateAuthorityRotationBody { CertificateAuthorityRotationBody(switchAfterSeconds: seconds) }
}
