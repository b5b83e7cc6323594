/// How hard SQLite works to keep a commit across a power loss (`PRAGMA synchronous`, WAL mode).
///
/// The gateway acknowledges an approval, a break-glass grant or an audit row only after the
/// commit returns, so `full` is the default: nothing acknowledged is ever lost.
public enum SQLiteDurability: String, Hashable, Sendable, CaseIterable {
    /// FULL: the WAL is fsynced on every commit. A power loss or kernel crash loses nothing that
    /// was acknowledged. Costs one fsync per write transaction.
    case full
    /// NORMAL: the WAL is fsynced only at checkpoints. A crash of the process loses nothing, but a
    /// power loss or kernel crash may roll back the last commits (never corrupting the file). Only
    /// for disposable data, such as demos and benchmarks.
    case normal

    var pragmaValue: String {
        switch self {
        case .full: "FULL"
        case .normal: "NORMAL"
        }
    }
}
