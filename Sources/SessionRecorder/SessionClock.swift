import Glibc

/// The recorder's time: nanoseconds of a clock that only goes forward, so that event times and
/// the cut and upload deadlines survive the wall clock being set. Injected, so that tests can
/// say when things happen.
public protocol SessionClock: Sendable {
    func nanoseconds() -> UInt64
}

/// CLOCK_MONOTONIC through the vDSO: tens of nanoseconds, cheap enough for every read of the
/// terminal.
public struct MonotonicClock: SessionClock {
    public init() {}

    public func nanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
