#if canImport(Glibc)
import Glibc
#endif

/// glibc's allocator gives every thread that allocates an arena of its own (up to eight per core)
/// and keeps what start-up freed (policy parsing, migrations) for later. The gateway's threads
/// (event loops, the concurrency pool, the database's queues) share two arenas without measurable
/// cost to the read path (`make bench`), and idle memory is one of the gateway's limits.
enum AllocatorFootprint {
    /// Before the server's threads start allocating.
    static func shareArenas() {
        // malloc.h's M_ARENA_MAX, a fixed part of glibc's ABI.
        let arenaMaximum: Int32 = -8
        guard let mallopt = glibcFunction("mallopt", as: (@convention(c) (Int32, Int32) -> Int32).self) else { return }
        _ = mallopt(arenaMaximum, 2)
    }

    /// Once start-up is over: free pages go back to the system.
    static func returnStartupMemory() {
        guard let mallocTrim = glibcFunction("malloc_trim", as: (@convention(c) (Int) -> Int32).self) else { return }
        _ = mallocTrim(0)
    }

    /// malloc.h is not part of Swift's Glibc module, so its two functions are looked up by name;
    /// another C library simply keeps its defaults.
    private static func glibcFunction<Function>(_ name: String, as type: Function.Type) -> Function? {
        #if canImport(Glibc)
        guard let symbol = dlsym(nil, name) else { return nil }
        return unsafeBitCast(symbol, to: type)
        #else
        return nil
        #endif
    }
}
