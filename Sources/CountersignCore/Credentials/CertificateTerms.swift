/// What the SSH certificates of a rule's requests say beyond who and when, set by the rule and fixed
/// on the request when it is filed: reviewers approve a request under these terms, so a policy
/// loosened later does not loosen what they approved.
public struct CertificateTerms: Hashable, Sendable {
    /// What a certificate may allow besides a terminal (OpenSSH's `permit-*` extensions).
    public enum Forwarding: String, Hashable, Sendable, CaseIterable, Comparable {
        case port = "port_forwarding"
        case agent = "agent_forwarding"
        case x11 = "x11_forwarding"

        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// What of a session the recorder keeps: sshd runs it as the certificate's forced command,
    /// so a session under these terms cannot go unrecorded.
    public enum Recording: String, Hashable, Sendable, CaseIterable {
        case off
        /// What the user saw.
        case output
        /// And what they typed (passwords typed at a prompt too: for break-glass and the most
        /// sensitive targets).
        case outputAndInput = "output_and_input"
    }

    /// One certificate serves one connection and a new one is cheap to ask for, so unless the
    /// rule says otherwise a certificate lives an hour, however long the access window.
    public static let defaultLifetimeSeconds = 3600
    public static let lifetimeRange = 60...Int(CredentialRules.maximumLifetime)
    public static let maximumSourceAddresses = 32
    public static let maximumCommandLength = 1024

    /// A terminal only, for an hour, from anywhere, running what the user asks.
    public static let standard = CertificateTerms()

    public let lifetimeSeconds: Int
    /// Where the certificate may be used from (`source-address`); empty for anywhere.
    public let sourceAddresses: [AddressBlock]
    /// The one command a session runs whatever the client asks for (`force-command`).
    public let forceCommand: String?
    public let forwarding: Set<Forwarding>
    public let recording: Recording

    public init(
        lifetimeSeconds: Int = defaultLifetimeSeconds, sourceAddresses: [AddressBlock] = [], forceCommand: String? = nil,
        forwarding: Set<Forwarding> = [], recording: Recording = .off
    ) throws(DomainError) {
        guard Self.lifetimeRange.contains(lifetimeSeconds) else {
            throw DomainError(.invalidField, "a certificate's lifetime must be between 1 minute and \(Self.lifetimeRange.upperBound / 3600) hours")
        }
        guard sourceAddresses.count <= Self.maximumSourceAddresses else {
            throw DomainError(.invalidField, "a certificate names at most \(Self.maximumSourceAddresses) source addresses")
        }
        guard Set(sourceAddresses).count == sourceAddresses.count else {
            throw DomainError(.invalidField, "a source address is named twice")
        }
        if let forceCommand { try Self.checkForceCommand(forceCommand) }
        guard recording == .off || forceCommand == nil else {
            // The recorder is the forced command; it does not run another in the user's place.
            throw DomainError(.invalidField, "a recorded session's forced command is the recorder: record and force_command cannot be combined")
        }
        self.lifetimeSeconds = lifetimeSeconds
        self.sourceAddresses = sourceAddresses
        self.forceCommand = forceCommand
        self.forwarding = forwarding
        self.recording = recording
    }

    /// sshd hands the command to the user's login shell: a line break would be a second command.
    public static func checkForceCommand(_ command: String) throws(DomainError) {
        guard !command.isEmpty, command.utf8.count <= maximumCommandLength else {
            throw DomainError(.invalidField, "a forced command is 1 to \(maximumCommandLength) bytes")
        }
        try FieldRules.checkText(command, field: "force_command", maximumLength: maximumCommandLength)
    }

    private init() {
        lifetimeSeconds = Self.defaultLifetimeSeconds
        sourceAddresses = []
        forceCommand = nil
        forwarding = []
        recording = .off
    }
}
