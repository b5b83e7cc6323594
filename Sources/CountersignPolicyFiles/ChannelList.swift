import CountersignCore
import Yams

extension DiagnosticLog {
    /// A list of channel names under `field`, each once. Names only: where each one sends, and with
    /// which secret, is the gateway's notification configuration, so a policy change cannot redirect
    /// a notice. `emptyRefusal`, when given, refuses an empty list with that message.
    mutating func channels(_ node: Node, _ field: String, emptyRefusal: String? = nil) -> [ChannelName]? {
        guard let entries = textList(node, field) else { return nil }
        if entries.isEmpty, let emptyRefusal {
            error(.badValue, at: SourcePosition(of: node), emptyRefusal)
            return nil
        }
        var channels: [ChannelName] = []
        for (text, position) in entries {
            do {
                let channel = try ChannelName(text)
                if channels.contains(channel) {
                    error(.badValue, at: position, "\(field) names channel \(text) twice")
                } else {
                    channels.append(channel)
                }
            } catch {
                self.error(.badValue, at: position, "\(field): '\(text)': \(error.message)")
            }
        }
        return channels
    }
}
