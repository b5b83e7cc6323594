import Foundation

/// The gateway's only source of time, injected everywhere so expiry is tested without sleeping.
public protocol WallClock: Sendable {
    func now() -> Date
}

public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that moves only when told to, for tests and benchmarks of expiry rules.
public final class ManualClock: WallClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = start
    }

    public func now() -> Date {
        lock.withLock { current }
    }

    public func advance(by interval: TimeInterval) {
        lock.withLock { current = current.addingTimeInterval(interval) }
    }

    public func set(_ date: Date) {
        lock.withLock { current = date }
    }
}

extension Date {
    /// Milliseconds since the epoch: the precision at which the gateway stores and hashes times,
    /// so a value read back from storage encodes to the same canonical bytes.
    public var millisecondsSinceEpoch: Int64 {
        Int64((timeIntervalSince1970 * 1000).rounded())
    }

    public init(millisecondsSinceEpoch ms: Int64) {
        self.init(timeIntervalSince1970: Double(ms) / 1000)
    }

    public var truncatedToMilliseconds: Date {
        Date(millisecondsSinceEpoch: millisecondsSinceEpoch)
    }
}
