import CountersignAPI

/// The signed-in user's security keys: enrol one with an invite code, see them, remove one.
public struct KeysPage: Page {
    public static let template = PageTemplate.keys

    struct KeyRow: Sendable {
        let credentialID: String
        let name: String
        let attestation: String
        let enrolled: TimeView
        let lastUsed: TimeView?
        let flagged: TimeView?
        /// Removing a key takes a touch of another one; the only key is removed by an admin.
        let removable: Bool
    }

    let chrome: PageChrome
    let keys: [KeyRow]
    let hasKeys: Bool
    let keysAvailable: Bool
    let onlyOneKey: Bool

    /// - Parameter removable: the keys another of the owner's keys may vouch for removing.
    public init(chrome: PageChrome, keys: [KeyView], keysAvailable: Bool, removable: Set<String>) {
        self.chrome = chrome
        self.keys = keys.map { key in
            KeyRow(
                credentialID: key.credentialId, name: key.name, attestation: key.attestation, enrolled: TimeView(key.enrolledAt),
                lastUsed: key.lastUsedAt.map(TimeView.init), flagged: key.flaggedAt.map(TimeView.init),
                removable: keysAvailable && removable.contains(key.credentialId)
            )
        }
        hasKeys = !keys.isEmpty
        self.keysAvailable = keysAvailable
        onlyOneKey = keys.count == 1
    }
}
