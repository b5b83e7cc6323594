import ArgumentParser
import CountersignAPI
import Foundation

struct BreakGlassCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "break-glass",
        abstract: "In an incident, get SSH access at once without waiting for a reviewer; list, show, end and review grants.",
        discussion: """
            `countersign break-glass --host H --login L --incident INC-123 --reason "…"` is `break-glass open`: see \
            `countersign break-glass open --help`. A grant is a request whose ticket is the incident: \
            `countersign show ID` and `wait ID` take its id too. It is loud (its rule's channels are paged before the \
            certificate is returned), recorded (every session, what is typed too) and reviewed afterwards by someone \
            other than its user, within the rule's window, or the channels are paged again.
            """,
        subcommands: [BreakGlassOpen.self, ListBreakGlass.self, ShowBreakGlass.self, EndBreakGlass.self, ReviewBreakGlass.self],
        defaultSubcommand: BreakGlassOpen.self
    )
}

struct ListBreakGlass: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List break-glass grants you may see, newest first.",
        discussion: """
            One grant a line: id, user, login@host, incident, state (awaiting agreement, active, revoked, cancelled, \
            expired), and its review: the verdict and reviewer, `due TIME`, or OVERDUE once the rule's review window \
            has passed without one. With --unreviewed, only grants nobody has reviewed yet, the overdue ones first, \
            then by when their review is due.
            """
    )

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions
    @Flag(help: "Only grants not yet reviewed.") var unreviewed = false
    @Option(help: "At most this many grants (1-200).") var limit = 50

    func run() async throws {
        try await reportingFailures {
            var query = [URLQueryItem(name: "limit", value: String(limit))]
            if unreviewed { query.insert(URLQueryItem(name: "unreviewed", value: "true"), at: 0) }
            let list = try await gateway.client().get("/v1/break-glass" + QueryString.encode(query), as: BreakGlassListView.self)
            if output.json {
                try JSONOutput.print(list)
            } else if list.grants.isEmpty {
                print(unreviewed ? "No unreviewed break-glass grants." : "No break-glass grants.")
            } else {
                BreakGlassText.table(unreviewed ? BreakGlassText.byUrgency(list.grants) : list.grants).forEach { print($0) }
            }
        }
    }
}

struct ShowBreakGlass: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one break-glass grant in full: its ask, state, pages' channels and review."
    )

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Grant id.") var id: String

    func run() async throws {
        try await reportingFailures {
            let grant = try await gateway.client().get("/v1/break-glass/\(PathSegment.encode(id))", as: BreakGlassGrantView.self)
            try output.json ? JSONOutput.print(grant) : print(BreakGlassText.details(grant))
        }
    }
}

struct EndBreakGlass: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "end",
        abstract: "End a break-glass grant before its time (its user, an admin or one of its reviewers).",
        discussion: """
            An active grant is revoked: the revocation list names its certificates from then on. A grant still waiting \
            for agreement is cancelled. Its pages are resolved either way. The review is still due.
            """
    )

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Grant id.") var id: String
    @Option(help: "Why it ends, e.g. \"Incident mitigated\".") var reason: String

    func run() async throws {
        try await reportingFailures {
            let grant = try await gateway.client().post(
                "/v1/break-glass/\(PathSegment.encode(id))/end", body: EndBreakGlassBody(reason: reason), as: BreakGlassGrantView.self
            )
            try output.json ? JSONOutput.print(grant) : print("Break-glass grant \(grant.request.id) is \(BreakGlassText.state(grant)).")
        }
    }
}
