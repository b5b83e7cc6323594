import CountersignAPI

/// One request in a list: enough to recognise it and to decide whether to open it.
struct RequestRow: Sendable {
    let id: String
    let link: String
    let kind: String
    let target: String
    let requester: String
    let reason: String
    let ticket: String
    let state: String
    let stateLabel: String
    let progress: String
    let created: TimeView

    init(_ request: RequestView) {
        id = request.id
        link = "/requests/\(request.id)"
        kind = RequestWording.kind(request.kind)
        target = RequestWording.target(request)
        requester = request.requester
        reason = request.reason
        ticket = request.ticket
        state = request.state
        stateLabel = RequestWording.state(request.state)
        progress = request.requirement.summary
        created = TimeView(request.createdAt)
    }
}

/// How the pages word a request's parts.
enum RequestWording {
    static func target(_ request: RequestView) -> String {
        let target = request.target
        if let service = target.service, let environment = target.environment {
            let commit = target.commit.map { " at " + String($0.prefix(12)) } ?? ""
            return "\(service) to \(environment)\(commit)"
        }
        if let host = target.host, let login = target.login {
            return "\(login)@\(host) for \(duration(target.durationSeconds ?? request.accessDurationSeconds))"
        }
        return request.kind
    }

    static func kind(_ kind: String) -> String {
        switch kind {
        case "ssh": "SSH"
        case "deploy": "Deploy"
        case "break_glass": "Break-glass"
        default: kind
        }
    }

    static func state(_ state: String) -> String {
        switch state {
        case "pending": "Waiting for approval"
        case "approved": "Approved"
        case "denied": "Denied"
        case "expired": "Expired"
        case "cancelled": "Cancelled"
        case "revoked": "Revoked"
        default: state.capitalized
        }
    }

    static func duration(_ seconds: Int) -> String {
        let hours = seconds / 3600, minutes = seconds % 3600 / 60
        switch (hours, minutes) {
        case (0, let minutes): return "\(minutes) min"
        case (let hours, 0): return "\(hours) h"
        default: return "\(hours) h \(minutes) min"
        }
    }
}
