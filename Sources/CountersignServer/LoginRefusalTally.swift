import CountersignCore
import Foundation

/// Refused logins, kept as evidence without letting anyone outside write (and fsync) an audit row
/// per request.
///
/// Refusals are grouped by key (action, reason, and the user and/or address the refusal is about)
/// into windows of `window` seconds. The first refusal of a window is audited at once, as before;
/// the ones after it are only counted here, and leave as one event carrying `count` when the
/// window has closed (checked at every login and every few seconds by `LoginRefusalAuditService`),
/// or at shutdown. A key therefore costs at most two audit rows per window, however hard it is
/// hammered. Memory is bounded by `capacity` open windows: when it is full, every open window is
/// audited early (one batch), so evidence is never dropped to make room. Tallies whose append fails
/// are put back, so a storage hiccup loses nothing either.
struct LoginRefusalTally {
    /// What one refusal is about. `user` and `address` are throttle keys (case folded, IPv6 per
    /// /64), so that spelling variants cannot open a fresh window each.
    struct Key: Hashable {
        let action: String
        let reason: String
        let user: String?
        let address: String?
    }

    /// The refusals counted after the first of a window.
    struct Window {
        let key: Key
        let opened: Date
        var count = 0
        var first: Date?
        var last: Date?
        /// The spellings and addresses actually seen, a few of each, for the auditor.
        var usernames: Set<String> = []
        var addresses: Set<String> = []
        var omittedUsernames = 0
        var omittedAddresses = 0

        static let namesKept = 8

        mutating func add(username: String, address: String, at time: Date) {
            count += 1
            first = first ?? time
            last = time
            Self.keep(username, in: &usernames, omitted: &omittedUsernames)
            Self.keep(address, in: &addresses, omitted: &omittedAddresses)
        }

        mutating func merge(_ other: Window) {
            count += other.count
            if let time = other.first { first = min(first ?? time, time) }
            if let time = other.last { last = max(last ?? time, time) }
            for name in other.usernames { Self.keep(name, in: &usernames, omitted: &omittedUsernames) }
            for address in other.addresses { Self.keep(address, in: &addresses, omitted: &omittedAddresses) }
            omittedUsernames += other.omittedUsernames
            omittedAddresses += other.omittedAddresses
        }

        private static func keep(_ value: String, in set: inout Set<String>, omitted: inout Int) {
            if set.contains(value) { return }
            if set.count < namesKept { set.insert(value) } else { omitted += 1 }
        }

        /// One audit event for the whole tally, whose `count` an auditor adds to the first event's.
        func event(at now: Date) -> AuditEvent {
            let actor = usernames.count == 1 ? usernames.first ?? "(several users)" : "(several users)"
            var details = ["reason": key.reason, "count": String(count), "aggregated": "true"]
            details["source_address"] = addresses.count == 1 ? addresses.first : nil
            if addresses.count > 1 { details["source_addresses"] = Self.listing(addresses, omitted: omittedAddresses) }
            if usernames.count > 1 { details["usernames"] = Self.listing(usernames, omitted: omittedUsernames) }
            if let first { details["first_at"] = Self.timestamp(first) }
            if let last { details["last_at"] = Self.timestamp(last) }
            return AuditEvent(time: now, actor: actor, action: AuditAction(rawValue: key.action), subject: actor, details: details)
        }

        private static func listing(_ values: Set<String>, omitted: Int) -> String {
            values.sorted().joined(separator: ",") + (omitted > 0 ? " (+\(omitted) more)" : "")
        }

        private static func timestamp(_ date: Date) -> String {
            date.formatted(.iso8601)
        }
    }

    let window: TimeInterval
    let capacity: Int
    private var open: [Key: Window] = [:]
    /// When the oldest open window closes, so that a login does not scan every window.
    private var nextClosing: Date?

    init(window: TimeInterval, capacity: Int = 10_000) {
        self.window = window
        self.capacity = capacity
    }

    var isEmpty: Bool { open.isEmpty }

    /// Counts one refusal. `auditNow` is true for the first of its window, which the caller audits
    /// itself; `closed` are windows to audit now (closed ones, or all of them if room was needed).
    mutating func record(_ key: Key, username: String, address: String, at now: Date) -> (auditNow: Bool, closed: [Window]) {
        var closed = close(dueAt: now)
        if var current = open[key] {
            current.add(username: username, address: address, at: now)
            open[key] = current
            return (false, closed)
        }
        if open.count >= capacity { closed += closeAll() }
        open[key] = Window(key: key, opened: now)
        nextClosing = nextClosing ?? now.addingTimeInterval(window)
        return (true, closed)
    }

    /// Removes and returns the windows that have run their length and counted something.
    mutating func close(dueAt now: Date) -> [Window] {
        guard let nextClosing, now >= nextClosing else { return [] }
        let due = open.values.filter { now.timeIntervalSince($0.opened) >= window }
        for finished in due { open[finished.key] = nil }
        self.nextClosing = open.values.map(\.opened).min()?.addingTimeInterval(window)
        return due.filter { $0.count > 0 }
    }

    mutating func closeAll() -> [Window] {
        defer {
            open = [:]
            nextClosing = nil
        }
        return open.values.filter { $0.count > 0 }
    }

    /// Puts back tallies whose audit append failed; they leave with the next flush.
    mutating func reinstate(_ windows: [Window]) {
        for window in windows {
            if var current = open[window.key] {
                current.merge(window)
                open[window.key] = current
            } else {
                open[window.key] = window
            }
            let closing = window.opened.addingTimeInterval(self.window)
            nextClosing = min(nextClosing ?? closing, closing)
        }
    }
}
