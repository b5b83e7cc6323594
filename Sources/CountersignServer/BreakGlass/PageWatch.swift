import CountersignAPI
import CountersignCore
import CountersignStore
import Foundation
import Logging

/// How a grant's pages went in the moments after it committed: the gateway waits up to `wait`
/// for each to be delivered before it hands out the credential, and no longer for a page whose
/// attempt already failed (its retry waits on a backoff). A page still undelivered then
/// does not hold the credential back (break-glass must work while the pager is down); the
/// outbox keeps retrying it, the metric counts it, and every other configured channel hears of it.
struct PageWatch: Sendable {
    let store: any GatewayStore
    let wait: Duration
    /// Every channel the gateway can send to, where an undelivered page is announced.
    let channels: [ChannelName]
    let newsroom: RequestNewsroom
    let metrics: GatewayMetrics
    let clock: any WallClock
    let logger: Logger

    /// The store is asked again after 1 ms, then half as often each time down to every 16 ms: a
    /// page that arrives at once is seen at once, one that stalls costs few reads.
    static let firstPoll: Duration = .milliseconds(1)
    static let slowestPoll: Duration = .milliseconds(16)

    func await(_ pages: [OutboxMessage], of grant: AccessRequest) async -> [PageDeliveryView] {
        let deadline = ContinuousClock.now.advanced(by: wait)
        var latest = Dictionary(uniqueKeysWithValues: pages.map { ($0.id, $0) })
        var poll = Self.firstPoll
        while latest.values.contains(where: Self.awaited), ContinuousClock.now < deadline {
            try? await Task.sleep(for: poll)
            poll = min(poll * 2, Self.slowestPoll)
            for (id, page) in latest where Self.awaited(page) {
                // A store that cannot be read now leaves the page as it last stood.
                if let current = try? await store.outboxMessage(id) { latest[id] = current }
            }
        }
        let standing = pages.compactMap { latest[$0.id] }
        let undelivered = standing.filter { if case .delivered = $0.state { false } else { true } }.map(\.channel)
        if !undelivered.isEmpty { await announce(undelivered, of: grant) }
        return standing.map(Self.view)
    }

    private static func awaited(_ page: OutboxMessage) -> Bool {
        page.state == .pending && page.attempts == 0
    }

    private func announce(_ undelivered: [ChannelName], of grant: AccessRequest) async {
        for channel in undelivered { metrics.breakGlassPageUndelivered(on: channel) }
        logger.error("break-glass page not delivered in time; the outbox keeps retrying", metadata: [
            "grant": "\(grant.id)", "channels": "\(undelivered.map(\.rawValue).joined(separator: ","))",
        ])
        do {
            let notices = try BreakGlassRules.undeliveredPageNotices(
                for: grant, undelivered: undelivered, on: channels, link: newsroom.link(to: grant.id), source: newsroom.source, at: clock.now()
            )
            guard !notices.isEmpty else { return }
            try await store.enqueue(notices)
            newsroom.send()
        } catch {
            logger.error("could not announce an undelivered break-glass page", metadata: ["grant": "\(grant.id)", "error": "\(error)"])
        }
    }

    private static func view(_ page: OutboxMessage) -> PageDeliveryView {
        switch page.state {
        case .pending: PageDeliveryView(channel: page.channel.rawValue, state: "pending", lastError: page.lastError)
        case .delivered: PageDeliveryView(channel: page.channel.rawValue, state: "delivered", lastError: nil)
        case .dead(_, let reason): PageDeliveryView(channel: page.channel.rawValue, state: "dead", lastError: reason)
        }
    }
}
