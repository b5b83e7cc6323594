import CountersignCore

/// Delivers one outbox message on one channel and says what came of it. Never throws: every
/// failure is an outcome the delivery rules know what to do with.
public protocol ChannelSender: Sendable {
    func send(_ message: OutboxMessage) async -> DeliveryOutcome
}
