import CountersignCore

/// An error a caller's decision closure throws on purpose (a rule or a signature check said no).
/// The store rolls the transaction back and rethrows it unchanged, where any other error becomes
/// a `StoreError`.
public protocol DecisionRefusal: Error {}

extension DomainError: DecisionRefusal {}

/// The deploy gate refusing a rollout start inside the transaction that would record it.
extension DeployRefusal: DecisionRefusal {}

/// An upload the recording rules refuse inside the transaction that would store it.
extension RecordingRefusal: DecisionRefusal {}
