import CountersignCore

extension RequestChange {
    /// The same change sending `messages` too: what a store's caller adds to a change the store
    /// made itself (an expiry's announcement), committed in its unit of work.
    public func announcing(_ messages: [OutboxMessage]) -> RequestChange {
        guard !messages.isEmpty else { return self }
        return RequestChange(request: request, events: events, issued: issued, recordings: recordings, notifications: notifications + messages)
    }
}
