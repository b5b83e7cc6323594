@testable import CountersignPostgres
import GRDB

/// An audit device gone down, behind the store's back: every append fails until repaired, which
/// is how the fail-closed contract functions are driven on each backend.
extension PostgresStore {
    func breakAuditAppends() async throws {
        try await execute("""
            CREATE FUNCTION audit_device_down() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit device unavailable'; END $$
            """)
        try await execute("CREATE TRIGGER audit_device_down BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_device_down()")
    }

    func repairAuditAppends() async throws {
        try await execute("DROP TRIGGER audit_device_down ON audit_events")
    }
}

/// The same on a SQLite file, through a second connection as an operator's sqlite3 shell.
enum SQLiteAuditOutage {
    static func breakAppends(at path: String) throws {
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "CREATE TRIGGER audit_device_down BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'audit device unavailable'); END")
        }
    }

    static func repair(at path: String) throws {
        try DatabaseQueue(path: path).write { db in try db.execute(sql: "DROP TRIGGER audit_device_down") }
    }
}
