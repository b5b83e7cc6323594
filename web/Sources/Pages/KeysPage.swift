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

    public init(chrome: PageChrome, keys: [KeyView], keysAvailable: Bool) {
        self.chrome = chrome
        let usable = keys.filter { $0.flaggedAt == nil }.count
        self.keys = keys.map { key in
            KeyRow(
                credentialID: key.credentialId, name: key.name, attestation: key.attestation, enrolled: TimeView(key.enrolledAt),
                lastUsed: key.lastUsedAt.map(TimeView.init), flagged: key.flaggedAt.map(TimeView.init),
                removable: keysAvailable && usable - (key.flaggedAt == nil ? 1 : 0) > 0
            )
        }
        hasKeys = !keys.isEmpty
        self.keysAvailable = keysAvailable
        onlyOneKey = keys.count == 1
    }
}
