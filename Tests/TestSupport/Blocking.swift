import Foundation

/// Runs work that blocks its thread (a child process waited for, PAM's fail delay, a compiler
/// run) on a thread of its own, and awaits its result.
///
/// Swift's cooperative pool has one thread per core, two on the machines the tests run on. A test
/// that blocks one of them for the seconds a child process takes stalls, with its neighbour,
/// every in-process gateway and client of every other test: their deadlines and answers then
/// come late, and tests of timing fail that have nothing wrong with them.
public func blocking<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
    }
}
