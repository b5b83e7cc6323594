import CountersignAPI
import Foundation

enum TextFormat {
    static func time(_ date: Date) -> String {
        APITime.format(date)
    }

    static func duration(_ seconds: Int) -> String {
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }

    static func target(_ request: RequestView) -> String {
        switch request.kind {
        case "deploy":
            "\(request.target.service ?? "?") to \(request.target.environment ?? "?") at \(request.target.commit ?? "?")"
        case "ssh", "break_glass":
            "\(request.target.login ?? "?")@\(request.target.host ?? "?") for \(request.target.durationSeconds.map(duration) ?? "?")"
        default:
            request.kind
        }
    }

    /// The full view of one request, as `show` prints it.
    static func details(_ request: RequestView) -> String {
        var lines = [
            "Request   \(request.id)",
            "State     \(request.state)",
            "Kind      \(request.kind): \(target(request))",
            "Requester \(request.requester)",
            "Reason    \(request.reason)",
            "Ticket    \(request.ticket)",
            "Rule      \(request.requirement.rule)\(request.requirement.hardwareKeyRequired ? " (hardware key required)" : "")",
            "Approvals \(request.requirement.summary)",
            "Digest    \(request.contentDigest)",
            "Created   \(time(request.createdAt))",
        ]
        if request.state == "pending" { lines.append("Expires   \(time(request.pendingExpiresAt)) unless decided") }
        if let end = request.accessExpiresAt { lines.append("Access    until \(time(end))") }
        for approval in request.approvals { lines.append("Approved  by \(approval.approver) at \(time(approval.at))") }
        if let denial = request.denial { lines.append("Denied    by \(denial.by) at \(time(denial.at)): \(denial.reason)") }
        if let closedBy = request.closedBy { lines.append("Closed    by \(closedBy)\(request.closeReason.map { ": \($0)" } ?? "")") }
        if let rollout = request.rollout {
            lines.append("Covers    \(rollout.singleUse ? "one rollout (single-use)" : "any rollout within its window")")
            if let at = rollout.startedAt, let by = rollout.startedBy { lines.append("Rollout   started by \(by) at \(time(at))") }
        }
        return lines.joined(separator: "\n")
    }

    /// One line per request, for lists.
    static func row(_ request: RequestView) -> String {
        "\(request.id)  \(request.state.padding(toLength: 9, withPad: " ", startingAt: 0)) \(request.requester.padding(toLength: 10, withPad: " ", startingAt: 0)) \(request.kind.padding(toLength: 6, withPad: " ", startingAt: 0)) \(target(request))  [\(request.requirement.summary)]"
    }
}

enum JSONOutput {
    static func print(_ value: some Encodable) throws {
        let encoder = APICoding.makeEncoder()
        encoder.outputFormatting.insert(.prettyPrinted)
        Swift.print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// One compact JSON object per line (JSON Lines).
    static func printLine(_ value: some Encodable) throws {
        Swift.print(String(decoding: try APICoding.makeEncoder().encode(value), as: UTF8.self))
    }
}
