import CountersignAPI
import CountersignCore
@testable import CountersignServer
import Foundation
import Testing

@Suite("The deploy gate's lookup cache")
struct DeployLookupCacheTests {
    static let start = ContinuousClock.now
    static let target = try! DeployTarget(service: "payments-api", environment: "production", commit: try! ArtifactReference(API.commit))
    static let other = try! DeployTarget(service: "payments-api", environment: "staging", commit: try! ArtifactReference(API.commit))

    @Test("a lookup is answered from memory for one second while nothing is committed here, for its exact target only")
    func freshness() {
        let cache = DeployLookupCache()
        #expect(cache.requests(for: Self.target, generation: 7, now: Self.start) == nil)
        cache.remember([], for: Self.target, readAfter: 7, now: Self.start)
        #expect(cache.requests(for: Self.target, generation: 7, now: Self.start + .milliseconds(999)) == [])
        #expect(cache.requests(for: Self.other, generation: 7, now: Self.start) == nil)
        #expect(cache.requests(for: Self.target, generation: 7, now: Self.start + .seconds(1)) == nil)
        #expect(cache.requests(for: Self.target, generation: 7, now: Self.start) == nil, "a stale entry is dropped")
    }

    @Test("anything committed through this gateway after the read began makes the entry a miss at once, and for good")
    func commitsInvalidate() {
        let cache = DeployLookupCache()
        // Read began at count 7; a revocation committed while it ran moved the count to 9.
        cache.remember([], for: Self.target, readAfter: 7, now: Self.start)
        #expect(cache.requests(for: Self.target, generation: 9, now: Self.start) == nil)
        #expect(cache.requests(for: Self.target, generation: 7, now: Self.start) == nil, "dropped, not kept for an older count")
    }
}
