import CountersignCore
import Foundation

/// Which requests a listing returns: every filter set narrows it; newest first, one page at a time.
public struct RequestQuery: Hashable, Sendable {
    public let requester: Username?
    /// Empty means any state.
    public let states: Set<RequestState>
    /// Empty means any kind.
    public let kinds: Set<RequestKind>
    /// Text found anywhere in the id, requester, target, reason or ticket; case-insensitive for ASCII.
    public let search: String?
    /// Only requests this audience may see in a listing; nil for the gateway's own reads.
    public let audience: RequestAudience?
    public let limit: Int
    /// Only requests strictly older than this position: the last one of the previous page.
    public let before: RequestCursor?

    public static let defaultLimit = 100
    public static let maximumLimit = 500
    /// Long enough for any id, host or ticket; short enough that a search stays a cheap scan.
    public static let maximumSearchLength = 128

    public init(
        requester: Username? = nil, states: Set<RequestState> = [], kinds: Set<RequestKind> = [],
        search: String? = nil, audience: RequestAudience? = nil, limit: Int = RequestQuery.defaultLimit,
        before: RequestCursor? = nil
    ) throws(StoreError) {
        guard (1...Self.maximumLimit).contains(limit) else {
            throw StoreError(.invalidQuery, "limit must be between 1 and \(Self.maximumLimit)")
        }
        if let search, search.count > Self.maximumSearchLength {
            throw StoreError(.invalidQuery, "search text must be at most \(Self.maximumSearchLength) characters")
        }
        self.requester = requester
        self.states = states
        self.kinds = kinds
        self.search = search.flatMap { $0.isEmpty ? nil : $0 }
        self.audience = audience
        self.limit = limit
        self.before = before
    }
}

/// A position in the newest-first order of requests. Keyset paging: a page does not shift when
/// requests are created while someone reads, unlike an offset.
public struct RequestCursor: Hashable, Sendable {
    public let createdAt: Date
    public let id: RequestID

    /// No request is created outside these times (the epoch to the end of year 9999), so a
    /// cursor outside them names nothing and its time could not even be stored.
    public static let timeRange: ClosedRange<Int64> = 0...253_402_300_799_999

    public init(createdAt: Date, id: RequestID) {
        self.createdAt = createdAt
        self.id = id
    }

    /// A cursor from its parts as a client sent them back; nil when the time is out of range.
    public init?(createdAtMilliseconds milliseconds: Int64, id: RequestID) {
        guard Self.timeRange.contains(milliseconds) else { return nil }
        self.init(createdAt: Date(millisecondsSinceEpoch: milliseconds), id: id)
    }

    /// The position right after `request`: pass the last request of a page to get the next one.
    public init(after request: AccessRequest) {
        self.init(createdAt: request.createdAt, id: request.id)
    }
}
