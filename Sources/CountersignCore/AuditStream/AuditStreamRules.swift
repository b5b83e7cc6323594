import Foundation

/// The rules of streaming the audit log to a sink, stated once: which gateway streams it (a lease
/// on its cursor), what the next batch is, how an acknowledgement moves the cursor, how a failure
/// backs off, and when an outage is announced. Pure, under an injected clock and jitter; streamers
/// and stores carry out what these decide.
///
/// Delivery is at least once and in sequence order: the cursor moves only to the last record of a
/// batch the receiver acknowledged, so after any failure the same records are sent again (a
/// receiver drops sequences it already has) and none is ever skipped. A stream is never given up:
/// it retries with the outbox's backoff (`DeliveryRules.retryDelay`), whatever the receiver answers.
public enum AuditStreamRules {
    /// How long a gateway holds a sink once it took it: far longer than one attempt, so that a
    /// gateway that died mid-batch lets another one take over once it lapses.
    public static let lease: TimeInterval = DeliveryRules.claimLease
    /// A sink failing this long is announced, once per outage.
    public static let outageBound: TimeInterval = 300
    /// A lease holder names a gateway process: printable ASCII, bounded.
    public static let maximumHolderLength = 64
    /// Failures are counted up to this; the backoff stopped growing long before.
    public static let maximumCountedFailures = 1_000_000
    /// The class of the notices announcing an outage or its end.
    public static let noticeClass = "audit-stream"

    /// A sink's cursor before its first batch: the stream starts at the log's first record.
    public static func start(_ sink: AuditSinkName, at now: Date) -> AuditStreamCursor {
        AuditStreamCursor(sink: sink, nextAttemptAt: now.truncatedToMilliseconds)
    }

    public static func isHolder(_ text: String) -> Bool {
        (1...maximumHolderLength).contains(text.utf8.count) && text.utf8.allSatisfy { (0x21...0x7e).contains($0) }
    }

    // MARK: The lease

    public enum Lease: Hashable, Sendable {
        /// `holder` already holds the sink for long enough: it streams without writing anything.
        case held(AuditStreamCursor)
        /// `holder` may take (or renew) the lease: the cursor as it must be written, compared with
        /// the stored one, before anything is sent.
        case taken(AuditStreamCursor)
        /// Another gateway streams the sink until then.
        case heldElsewhere(until: Date)
        /// The last failure's backoff runs until then.
        case waiting(until: Date)
    }

    /// Whether `holder` may stream the sink at `now`.
    public static func lease(_ cursor: AuditStreamCursor, for holder: String, at now: Date) -> Lease {
        let now = now.truncatedToMilliseconds
        if cursor.nextAttemptAt > now { return .waiting(until: cursor.nextAttemptAt) }
        if let other = cursor.holder, other != holder, let until = cursor.leasedUntil, until > now {
            return .heldElsewhere(until: until)
        }
        // Renewed once half of it is spent, so a lease never lapses under a batch being sent.
        if cursor.holder == holder, let until = cursor.leasedUntil, until.timeIntervalSince(now) >= lease / 2 {
            return .held(cursor)
        }
        var taken = cursor
        taken.holder = holder
        taken.leasedUntil = now.addingTimeInterval(lease)
        return .taken(taken)
    }

    /// The cursor without `holder`'s lease, so another gateway may take the sink at once (at
    /// shutdown); nil when `holder` does not hold it.
    public static func release(_ cursor: AuditStreamCursor, by holder: String) -> AuditStreamCursor? {
        guard cursor.holder == holder else { return nil }
        var released = cursor
        released.holder = nil
        released.leasedUntil = nil
        return released
    }

    // MARK: The next batch

    /// The records after the cursor, in sequence order, as many as `limits` allow: at most
    /// `limits.events`, and at most `limits.bytes` unless a single record is larger on its own,
    /// which then goes alone (a stream must not stall on one large event). `items` are the records
    /// a store read after `cursor.acknowledged`, in order.
    public static func batch<Item: AuditStreamItem>(after cursor: AuditStreamCursor, from items: [Item], limits: AuditStreamLimits) -> AuditStreamBatch<Item> {
        var taken: [Item] = []
        var bytes = 0
        var faults: [AuditFault] = []
        var expected = cursor.acknowledged + 1
        var previousHash = cursor.acknowledgedHash
        var full = false
        for item in items.sorted(by: { $0.record.sequence < $1.record.sequence }) where item.record.sequence > cursor.acknowledged {
            guard taken.count < limits.events, taken.isEmpty || bytes + item.byteCount <= limits.bytes else {
                full = true
                break
            }
            let record = item.record
            if record.sequence != expected {
                faults.append(AuditFault(sequence: expected, kind: .sequenceGap, message: "expected sequence \(expected), found \(record.sequence)"))
            } else if record.previousHash != previousHash {
                faults.append(AuditFault(
                    sequence: record.sequence, kind: .brokenLink, message: "previous hash does not match the hash of sequence \(expected - 1)"
                ))
            }
            if AuditChain.hash(sequence: record.sequence, event: record.event, previousHash: record.previousHash) != record.hash {
                faults.append(AuditFault(sequence: record.sequence, kind: .contentMismatch, message: "content does not match its hash"))
            }
            taken.append(item)
            bytes += item.byteCount
            expected = record.sequence + 1
            previousHash = record.hash
        }
        return AuditStreamBatch(items: taken, faults: faults, full: full || taken.count == limits.events)
    }

    // MARK: After an attempt

    /// What an attempt makes of the cursor: the cursor to write (compared with the one the attempt
    /// was made under), and what to commit with it.
    public struct Step: Hashable, Sendable {
        public let cursor: AuditStreamCursor
        /// `audit_stream.outage` or `audit_stream.recovered`, once per outage.
        public let events: [AuditEvent]
        /// Their announcements on the notification channels, through the outbox.
        public let notifications: [OutboxMessage]
    }

    /// How an outage is told: on which channels, from where, and in which words for the sink.
    public struct Announcing: Hashable, Sendable {
        public let channels: [ChannelName]
        /// Where the notices say they come from (the gateway's public URL).
        public let source: String
        /// The sink as notices name it: its kind and name, never where it sends.
        public let sinkDescription: String
        /// The log's head sequence, to say how far behind the sink is.
        public let head: Int64

        public init(channels: [ChannelName], source: String, sinkDescription: String, head: Int64) {
            self.channels = channels
            self.source = source
            self.sinkDescription = sinkDescription
            self.head = head
        }
    }

    /// The receiver acknowledged `batch`, sent by `holder` under `cursor`: the cursor moves to its
    /// last record, the failures are forgotten, the lease is renewed, and an announced outage is
    /// declared over.
    public static func acknowledge<Item>(
        _ cursor: AuditStreamCursor, _ batch: AuditStreamBatch<Item>, by holder: String, at now: Date, announcing: Announcing
    ) -> Step {
        let now = now.truncatedToMilliseconds
        guard let last = batch.last, last.sequence > cursor.acknowledged else { return Step(cursor: cursor, events: [], notifications: []) }
        var next = cursor
        next.acknowledged = last.sequence
        next.acknowledgedHash = last.hash
        next.holder = holder
        next.leasedUntil = now.addingTimeInterval(lease)
        next.failures = 0
        next.nextAttemptAt = now
        next.failingSince = nil
        next.outageAnnounced = false
        next.lastError = nil
        guard cursor.outageAnnounced, let since = cursor.failingSince else { return Step(cursor: next, events: [], notifications: []) }
        let event = AuditEvent(time: now, actor: AuditEvent.systemActor, action: .auditStreamRecovered, subject: cursor.sink.rawValue, details: [
            "failing_since": String(since.millisecondsSinceEpoch), "acknowledged": String(next.acknowledged),
            "lag": String(next.lag(head: max(announcing.head, next.acknowledged))),
        ])
        let notices = notice(
            dedupKey: "audit-stream:\(cursor.sink.rawValue):\(since.millisecondsSinceEpoch):recovered", severity: .info,
            summary: "Countersign streams its audit log to \(announcing.sinkDescription) again, from sequence \(cursor.acknowledged + 1), nothing skipped",
            details: ["sink": cursor.sink.rawValue, "failing_since": iso8601(since), "acknowledged": String(next.acknowledged)],
            announcing: announcing, at: now
        )
        return Step(cursor: next, events: [event], notifications: notices)
    }

    /// An attempt under `cursor` failed at `now` for `reason` (the receiver's answer, or none): the
    /// lease is released (another gateway, whose way to the receiver may work, can take the next
    /// attempt), the next attempt waits out the outbox's backoff or the receiver's `Retry-After`,
    /// and an outage past `outageBound` is announced if it has not been.
    public static func fail(
        _ cursor: AuditStreamCursor, reason: String, retryAfter: TimeInterval?, at now: Date, jitter: Double, announcing: Announcing,
        outageBound: TimeInterval = outageBound
    ) -> Step {
        let now = now.truncatedToMilliseconds
        var next = cursor
        next.failures = min(cursor.failures + 1, maximumCountedFailures)
        next.failingSince = cursor.failingSince ?? now
        next.lastError = String(reason.prefix(AuditEvent.maximumFieldLength))
        next.nextAttemptAt = now.addingTimeInterval(DeliveryRules.retryDelay(afterAttempts: next.failures, jitter: jitter, retryAfter: retryAfter))
            .truncatedToMilliseconds
        next.holder = nil
        next.leasedUntil = nil
        return announceIfOverdue(next, at: now, announcing: announcing, outageBound: outageBound) ?? Step(cursor: next, events: [], notifications: [])
    }

    /// The outage's announcement, when the sink has been failing for `outageBound` and it has not
    /// been announced yet; nil otherwise. Looked at after each failure and while a backoff runs, so
    /// a long `Retry-After` does not delay it.
    public static func announceIfOverdue(
        _ cursor: AuditStreamCursor, at now: Date, announcing: Announcing, outageBound: TimeInterval = outageBound
    ) -> Step? {
        let now = now.truncatedToMilliseconds
        guard !cursor.outageAnnounced, let since = cursor.failingSince, now.timeIntervalSince(since) >= outageBound else { return nil }
        var next = cursor
        next.outageAnnounced = true
        let lag = cursor.lag(head: announcing.head)
        let reason = cursor.lastError ?? "no answer"
        let event = AuditEvent(time: now, actor: AuditEvent.systemActor, action: .auditStreamOutage, subject: cursor.sink.rawValue, details: [
            "failing_since": String(since.millisecondsSinceEpoch), "failures": String(cursor.failures),
            "acknowledged": String(cursor.acknowledged), "lag": String(lag), "reason": reason,
        ])
        let notices = notice(
            dedupKey: "audit-stream:\(cursor.sink.rawValue):\(since.millisecondsSinceEpoch)", severity: .error,
            summary: "Countersign cannot stream its audit log to \(announcing.sinkDescription) since \(iso8601(since)): \(lag) events behind",
            details: [
                "sink": cursor.sink.rawValue, "failing_since": iso8601(since), "failures": String(cursor.failures),
                "acknowledged": String(cursor.acknowledged), "lag": String(lag), "reason": String(reason.prefix(Notice.maximumDetailLength)),
            ],
            announcing: announcing, at: now
        )
        return Step(cursor: next, events: [event], notifications: notices)
    }

    /// Whether the sink has been failing past `outageBound` at `now`: the outage gauge.
    public static func isInOutage(_ cursor: AuditStreamCursor, at now: Date, outageBound: TimeInterval = outageBound) -> Bool {
        guard let since = cursor.failingSince else { return false }
        return now.timeIntervalSince(since) >= outageBound
    }

    private static func notice(
        dedupKey: String, severity: Notice.Severity, summary: String, details: [String: String], announcing: Announcing, at now: Date
    ) -> [OutboxMessage] {
        do {
            return try Notice(
                action: .inform, dedupKey: String(dedupKey.prefix(Notice.maximumDedupKeyLength)), summary: String(summary.prefix(Notice.maximumSummaryLength)),
                severity: severity, source: announcing.source, eventClass: noticeClass, details: details, time: now
            ).messages(on: announcing.channels, at: now)
        } catch {
            // Every field above is bounded to what a notice takes.
            return []
        }
    }

    private static func iso8601(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
