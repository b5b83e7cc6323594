/// Where a recording stands, as every listing shows it. `incomplete` and `missing` are alarms: a
/// session ran (or may have) and its record is not whole.
public enum RecordingState: String, Hashable, Sendable, CaseIterable {
    /// Issued with its certificate; no recorder has reported yet.
    case awaiting
    /// The certificate expired and no recorder ever reported: no session was opened with it.
    case unused
    /// A recorder reported and is uploading.
    case streaming
    /// The final chunk arrived and nothing is missing before it.
    case complete
    /// A gap was reported, or the recorder fell silent without its final chunk.
    case incomplete
    /// A recorder reported its start and then nothing arrived.
    case missing

    public var isAlarm: Bool { self == .incomplete || self == .missing }
}
