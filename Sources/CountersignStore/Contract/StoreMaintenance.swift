/// What an operator needs of the store beyond the domain: copies and health.
public protocol StoreMaintenance: Sendable {
    /// Writes a consistent copy of the live database to a new file at `path` (mode 0600). Refuses
    /// to replace an existing file. A backend whose database lives on a server (PostgreSQL) refuses
    /// with `unsupported`, naming the server's own backup tools.
    func backup(to path: String) async throws

    /// Proves that a write reaches the disk now, for the readiness probe.
    func checkWritable() async throws
}
