import CountersignAPI
import CountersignCore
@testable import CountersignServer
import Foundation
import Synchronization
import Testing

@Suite("Recent store reads: a second's reads, dropped by any commit through this gateway")
struct RecentStoreReadsTests {
    static let start = ContinuousClock.now
    static let target = try! DeployTarget(service: "payments-api", environment: "production", commit: try! ArtifactReference(API.commit))
    static let other = try! DeployTarget(service: "payments-api", environment: "staging", commit: try! ArtifactReference(API.commit))

    @Test("a read is answered from memory for one second while nothing is committed here, for its exact key only")
    func freshness() {
        let cache = RecentStoreReads<DeployTarget, [AccessRequest]>()
        #expect(cache.value(for: Self.target, generation: 7, now: Self.start) == nil)
        cache.remember([], for: Self.target, readAfter: 7, now: Self.start)
        #expect(cache.value(for: Self.target, generation: 7, now: Self.start + .milliseconds(999)) == [])
        #expect(cache.value(for: Self.other, generation: 7, now: Self.start) == nil)
        #expect(cache.value(for: Self.target, generation: 7, now: Self.start + .seconds(1)) == nil)
        #expect(cache.value(for: Self.target, generation: 7, now: Self.start) == nil, "a stale entry is dropped")
    }

    @Test("anything committed through this gateway after the read began makes the entry a miss at once, and for good")
    func commitsInvalidate() {
        let cache = RecentStoreReads<DeployTarget, [AccessRequest]>()
        // Read began at count 7; a revocation committed while it ran moved the count to 9.
        cache.remember([], for: Self.target, readAfter: 7, now: Self.start)
        #expect(cache.value(for: Self.target, generation: 9, now: Self.start) == nil)
        #expect(cache.value(for: Self.target, generation: 7, now: Self.start) == nil, "dropped, not kept for an older count")
    }

    @Test("what the store does not know is asked about each time; what it found is read once")
    func onlyFoundValuesAreKept() async throws {
        let cache = RecentStoreReads<CountersignCore.RequestID, String>()
        let id = CountersignCore.RequestID.random()
        let reads = Atomic(0)
        for _ in 0..<3 {
            let missing = await cache.value(for: id, generation: 1) { () async -> String? in reads.add(1, ordering: .relaxed); return nil }
            #expect(missing == nil)
        }
        #expect(reads.load(ordering: .relaxed) == 3)
        for _ in 0..<3 {
            let found = await cache.value(for: id, generation: 1) { () async -> String? in reads.add(1, ordering: .relaxed); return "filed" }
            #expect(found == "filed")
        }
        #expect(reads.load(ordering: .relaxed) == 4)
    }
}
