import CountersignAPI
import Foundation

/// Break-glass grants as the CLI prints them.
enum BreakGlassText {
    /// A grant's state in break-glass words: a request's `pending` is a grant awaiting agreement,
    /// `approved` one that is active.
    static func state(_ grant: BreakGlassGrantView) -> String {
        switch grant.request.state {
        case "pending": "awaiting agreement"
        case "approved": "active"
        default: grant.request.state
        }
    }

    static func target(_ grant: BreakGlassGrantView) -> String {
        "\(grant.request.target.login ?? "?")@\(grant.request.target.host ?? "?")"
    }

    static func review(_ grant: BreakGlassGrantView) -> String {
        if let review = grant.review { return "\(review.verdict) by \(review.reviewer)" }
        return grant.reviewOverdue ? "OVERDUE since \(TextFormat.time(grant.reviewDueAt))" : "due \(TextFormat.time(grant.reviewDueAt))"
    }

    /// Overdue reviews first, then the one due soonest: the order a reviewer should take them in.
    static func byUrgency(_ grants: [BreakGlassGrantView]) -> [BreakGlassGrantView] {
        grants.enumerated().sorted { left, right in
            if left.element.reviewOverdue != right.element.reviewOverdue { return left.element.reviewOverdue }
            if left.element.reviewDueAt != right.element.reviewDueAt { return left.element.reviewDueAt < right.element.reviewDueAt }
            return left.offset < right.offset
        }.map(\.element)
    }

    /// A header and one line per grant, in columns as wide as their widest entry.
    static func table(_ grants: [BreakGlassGrantView]) -> [String] {
        let rows = [["GRANT", "USER", "TARGET", "INCIDENT", "STATE", "REVIEW"]] + grants.map { grant in
            [grant.request.id, grant.request.requester, target(grant), grant.incident, state(grant), review(grant)]
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.indices.map { column in
                column == row.count - 1 ? row[column] : row[column].padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
    }

    /// The full view of one grant, as `break-glass show` prints it.
    static func details(_ grant: BreakGlassGrantView) -> String {
        let request = grant.request
        var lines = [
            "Grant      \(request.id)",
            "State      \(state(grant))",
            "User       \(request.requester)",
            "Access     \(target(grant)) for \(TextFormat.duration(request.accessDurationSeconds))",
            "Incident   \(grant.incident)",
            "Reason     \(request.reason)",
            "Rule       \(request.requirement.rule) (\(grant.keyTouched ? "key touched" : "no key touch"))",
        ]
        if !request.requirement.clauses.isEmpty { lines.append("Agreement  \(request.requirement.summary)") }
        lines.append("Paged      \(grant.channels.joined(separator: ", "))")
        lines.append("Created    \(TextFormat.time(request.createdAt))")
        if request.state == "pending" { lines.append("Lapses     \(TextFormat.time(request.pendingExpiresAt)) unless agreed") }
        if let end = request.accessExpiresAt { lines.append("Until      \(TextFormat.time(end))") }
        for approval in request.approvals { lines.append("Agreed     by \(approval.approver) at \(TextFormat.time(approval.at))") }
        if let denial = request.denial { lines.append("Refused    by \(denial.by) at \(TextFormat.time(denial.at)): \(denial.reason)") }
        if request.closedBy != nil || request.closeReason != nil {
            lines.append("Ended      \(request.closedBy.map { "by \($0)" } ?? "")\(request.closeReason.map { ": \($0)" } ?? "")")
        }
        if let review = grant.review {
            lines.append("Review     \(review.verdict) by \(review.reviewer) at \(TextFormat.time(review.at))\(review.notes.isEmpty ? "" : ": \(review.notes)")")
        } else {
            lines.append("Review     \(review(grant)), by \(grant.reviewers.joined(separator: ", "))")
            if let escalated = grant.reviewEscalatedAt { lines.append("Escalated  \(TextFormat.time(escalated)): the channels were paged again") }
        }
        return lines.joined(separator: "\n")
    }

    /// What `break-glass open` says once the gateway answers: the grant, and how each page went,
    /// loudly where one has not reached its channel.
    static func announce(_ granted: BreakGlassGrantedView) -> [String] {
        let grant = granted.grant
        let request = grant.request
        var lines = ["BREAK-GLASS grant \(request.id): \(target(grant)) for incident \(grant.incident), under rule \(request.requirement.rule)"]
        if let end = request.accessExpiresAt {
            lines.append("Active until \(TextFormat.time(end)) (\(TextFormat.duration(request.accessDurationSeconds))). Every session is recorded, what you type too.")
        }
        lines.append("Review due \(TextFormat.time(grant.reviewDueAt)) by \(grant.reviewers.joined(separator: ", ")).")
        if granted.pages.isEmpty { lines.append("NO PAGE WENT OUT for this grant: tell your on-call channel yourself.") }
        for page in granted.pages {
            let why = page.lastError.map { " (last error: \($0))" } ?? ""
            switch page.state {
            case "delivered":
                lines.append("Paged \(page.channel): delivered")
            case "dead":
                lines.append("PAGE FAILED on \(page.channel)\(why): the gateway has given up on it; tell that channel's people yourself.")
            default:
                lines.append("PAGE NOT YET DELIVERED on \(page.channel) (\(page.state))\(why): the gateway keeps retrying it.")
            }
        }
        return lines
    }

    /// What a grant that needs someone else's agreement waits for, and until when.
    static func awaitingAgreement(_ grant: BreakGlassGrantView) -> [String] {
        let request = grant.request
        let needed = request.requirement.clauses.filter { !$0.satisfied }.map { "\($0.required) of \($0.group)" }
        let how = request.requirement.hardwareKeyRequired
            ? "in the reviewer page, with their security key"
            : "with `countersign approve \(request.id)` or in the reviewer page"
        return [
            "Grant \(request.id) is not active until someone else agrees: \(needed.joined(separator: " and ")) (\(request.requirement.summary)), \(how).",
            "Waiting for them; the grant lapses at \(TextFormat.time(request.pendingExpiresAt)) unless agreed.",
        ]
    }
}
