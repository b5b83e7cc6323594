import CountersignSQLite
import CountersignStore
import Foundation
import Notifications

/// Everything `countersignd` is told at start. Tests build the same value with a temporary data
/// directory and port 0, and get the very same application.
public struct GatewayConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var dataDirectory: URL
    public var policyDirectory: URL
    public var pamService: String
    /// Passed to `pam_start_confdir`; nil uses the system's /etc/pam.d.
    public var pamConfigDirectory: String?
    /// The origin reviewers open in a browser (used by the reviewer pages and printed at start).
    public var publicURL: String?
    public var sessionLifetime: TimeInterval
    /// Adds the system's group memberships (NSS, `getgrouplist`) to those of `groups.yaml`.
    public var useSystemGroups: Bool
    public var durability: SQLiteDurability
    public var checkpointInterval: TimeInterval
    public var expirySweepInterval: TimeInterval
    public var maximumBodySize: Int
    /// The attestation conveyance preference sent to browsers at key enrolment.
    public var attestation: AttestationPreference
    /// Failed logins for one user from one address: the hard limit a guesser meets.
    public var failedLoginsPerUser: LoginLimit
    /// Failed logins for one user from every address together: gentler, so that one attacker
    /// cannot lock the real user out from where they are (see `LoginThrottle`).
    public var failedLoginsPerUserAcrossAddresses: LoginLimit
    public var failedLoginsPerAddress: LoginLimit
    /// Reverse proxies whose `X-Forwarded-For` names the client; none by default.
    public var trustedProxies: TrustedProxies
    /// How often an open "to review" page asks for new requests.
    public var reviewRefreshSeconds: Int
    /// Header, body and idle timeouts and the connection cap of the HTTP server.
    public var connections = ConnectionLimits()
    /// The embedded SQLite file in the data directory, or a PostgreSQL database.
    public var database = DatabaseLocation.embedded
    /// What sshd runs for a session whose request's terms record it: the certificate's
    /// `force-command`, e.g. `/usr/local/bin/countersign record --gateway https://countersign.example.com`.
    /// Without it, such a request's certificates are refused (503 `recorder_unconfigured`).
    public var recorderCommand: String?
    /// Where each notification channel a policy names sends, with its secret (`--notifications`).
    /// Without it the outbox is still delivered, and a message for a channel nobody configured dies
    /// by name: audited, never silently dropped.
    public var notifications = NotificationConfiguration(channels: [])
    /// How long breaking glass waits for its pages to arrive before it returns the credential
    /// anyway (`--break-glass-page-wait`): long enough for a page to be in the on-call's hands
    /// first, short enough for an incident.
    public var breakGlassPageWait: Duration = .seconds(5)
    /// Where the recordings' chunks are kept; gateways sharing one database must share it too.
    public var recordingsDirectory: URL { dataDirectory.appendingPathComponent("recordings", isDirectory: true) }

    /// WebAuthn `attestation`: `none` asks for no statement; `direct` asks for the authenticator's
    /// own (packed self attestation, or a certificate meeting §8.2.1). A policy whose
    /// authenticators.yaml names attestation roots always asks for `direct`, whatever this says.
    public enum AttestationPreference: String, Sendable, CaseIterable {
        case none, direct
    }

    public struct LoginLimit: Sendable {
        public var failures: Int
        public var window: TimeInterval

        public init(failures: Int, window: TimeInterval) {
            self.failures = failures
            self.window = window
        }
    }

    public init(
        host: String = "127.0.0.1", port: Int = 8080, dataDirectory: URL, policyDirectory: URL,
        pamService: String = "countersign", pamConfigDirectory: String? = nil, publicURL: String? = nil,
        sessionLifetime: TimeInterval = 12 * 3600, useSystemGroups: Bool = false, durability: SQLiteDurability = .full,
        checkpointInterval: TimeInterval = 300, expirySweepInterval: TimeInterval = 5, maximumBodySize: Int = 64 * 1024,
        attestation: AttestationPreference = .none,
        failedLoginsPerUser: LoginLimit = .init(failures: 5, window: 900),
        failedLoginsPerAddress: LoginLimit = .init(failures: 20, window: 900),
        reviewRefreshSeconds: Int = 5,
        failedLoginsPerUserAcrossAddresses: LoginLimit = .init(failures: 20, window: 900),
        trustedProxies: TrustedProxies = .none
    ) {
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.policyDirectory = policyDirectory
        self.pamService = pamService
        self.pamConfigDirectory = pamConfigDirectory
        self.publicURL = publicURL
        self.sessionLifetime = sessionLifetime
        self.useSystemGroups = useSystemGroups
        self.durability = durability
        self.checkpointInterval = checkpointInterval
        self.expirySweepInterval = expirySweepInterval
        self.maximumBodySize = maximumBodySize
        self.attestation = attestation
        self.failedLoginsPerUser = failedLoginsPerUser
        self.failedLoginsPerAddress = failedLoginsPerAddress
        self.reviewRefreshSeconds = reviewRefreshSeconds
        self.failedLoginsPerUserAcrossAddresses = failedLoginsPerUserAcrossAddresses
        self.trustedProxies = trustedProxies
    }

    public var databasePath: String { dataDirectory.appendingPathComponent("countersign.sqlite").path }

    /// The longest window any attempt limit looks back over: older attempts can be forgotten.
    var longestAttemptWindow: TimeInterval {
        [failedLoginsPerUser.window, failedLoginsPerUserAcrossAddresses.window, failedLoginsPerAddress.window, HardwareKeyDesk.refusalLimit.window].max() ?? 0
    }
}
