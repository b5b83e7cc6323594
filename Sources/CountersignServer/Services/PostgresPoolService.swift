import CountersignPostgres
import ServiceLifecycle

/// Keeps the PostgreSQL connection pool running from the moment the gateway is built (start-up
/// already writes to the store) until every other service has stopped: it is the first service,
/// and a service group shuts down in reverse order, so the final audit checkpoint still has a
/// connection.
struct PostgresPoolService: Service {
    let pool: Task<Void, Never>

    /// Starts `store`'s pool now.
    init(store: PostgresStore) {
        pool = Task { await store.run() }
    }

    func run() async {
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler { await pool.value } onCancel: { pool.cancel() }
        } onGracefulShutdown: {
            pool.cancel()
        }
    }
}
