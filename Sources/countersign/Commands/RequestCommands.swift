import ArgumentParser
import CountersignAPI
import CountersignPolicyFiles
import Foundation

struct RequestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request",
        abstract: "Ask for a deploy or for SSH access.",
        subcommands: [RequestDeploy.self, RequestSSH.self]
    )
}

/// What every new request carries besides its target.
struct Justification: ParsableArguments {
    @Option(help: "Why you need this; reviewers read it.")
    var reason: String

    @Option(help: "Ticket reference, e.g. CHG-1042 (the policy may require a pattern).")
    var ticket: String
}

struct RequestDeploy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Ask to deploy a service at an exact commit to an environment.",
        discussion: "Prints the new request's id on the first line (alone with --quiet), so scripts can `wait` for it."
    )

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Service name, e.g. payments-api.") var service: String
    @Option(help: "Environment, e.g. production.") var environment: String
    @Option(help: "Full 40-hex git commit SHA, or sha256:<64 hex> artifact digest.") var commit: String
    @OptionGroup var justification: Justification
    @Flag(help: "Print only the request id.") var quiet = false

    func run() async throws {
        try await reportingFailures {
            let body = CreateRequestBody(
                kind: "deploy", service: service, environment: environment, commit: commit,
                reason: justification.reason, ticket: justification.ticket
            )
            try RequestOutput.created(try await gateway.client().post("/v1/requests", body: body, as: RequestView.self), json: output.json, quiet: quiet)
        }
    }
}

struct RequestSSH: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ssh",
        abstract: "Ask for SSH access to a host as a login, for a while.",
        discussion: "Prints the new request's id on the first line (alone with --quiet), so scripts can `wait` for it."
    )

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Host name, e.g. web-1.prod.internal.") var host: String
    @Option(help: "Login on the host, e.g. deploy.") var login: String
    @Option(help: "How long access should last, e.g. 30m or 2h.") var duration: String = "1h"
    @OptionGroup var justification: Justification
    @Flag(help: "Print only the request id.") var quiet = false

    func validate() throws {
        guard PolicyDuration.seconds(from: duration) != nil else { throw ValidationError("--duration must be a duration such as 30m or 2h") }
    }

    func run() async throws {
        try await reportingFailures {
            let body = CreateRequestBody(
                kind: "ssh", host: host, login: login, durationSeconds: PolicyDuration.seconds(from: duration),
                reason: justification.reason, ticket: justification.ticket
            )
            try RequestOutput.created(try await gateway.client().post("/v1/requests", body: body, as: RequestView.self), json: output.json, quiet: quiet)
        }
    }
}

enum RequestOutput {
    static func created(_ request: RequestView, json: Bool, quiet: Bool) throws {
        if json {
            try JSONOutput.print(request)
        } else if quiet {
            print(request.id)
        } else {
            print(request.id)
            print("Filed \(request.kind) request: \(TextFormat.target(request)).")
            print("Needs \(request.requirement.summary)\(request.requirement.hardwareKeyRequired ? ", each with a hardware key" : ""). Wait with: countersign wait \(request.id)")
        }
    }

    static func show(_ request: RequestView, json: Bool) throws {
        if json { try JSONOutput.print(request) } else { print(TextFormat.details(request)) }
    }
}

struct ListRequests: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "requests",
        abstract: "List requests you can see, newest first."
    )

    enum Scope: String, ExpressibleByArgument, CaseIterable {
        case mine, reviewable, all
    }

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions
    @Flag(help: "Only requests you filed.") var mine = false
    @Flag(help: "Only pending requests you may approve or deny.") var reviewable = false
    @Flag(help: "Every request you may see (the default).") var all = false
    @Option(help: "Only requests in this state (pending, approved, denied, cancelled, expired, revoked); repeatable.")
    var state: [String] = []
    @Option(help: "Search text (id, service, environment, host, login, reason, ticket, requester).") var search: String?
    @Option(help: "At most this many requests (1-200).") var limit = 50

    func validate() throws {
        guard [mine, reviewable, all].filter({ $0 }).count <= 1 else { throw ValidationError("choose one of --mine, --reviewable, --all") }
    }

    func run() async throws {
        try await reportingFailures {
            let scope = mine ? "mine" : reviewable ? "reviewable" : "all"
            var query = [URLQueryItem(name: "scope", value: scope), URLQueryItem(name: "limit", value: String(limit))]
            if !state.isEmpty { query.append(URLQueryItem(name: "state", value: state.joined(separator: ","))) }
            if let search { query.append(URLQueryItem(name: "q", value: search)) }
            let list = try await gateway.client().get("/v1/requests" + QueryString.encode(query), as: RequestListView.self)
            if output.json {
                try JSONOutput.print(list)
            } else if list.requests.isEmpty {
                print("No requests.")
            } else {
                list.requests.map(TextFormat.row).forEach { print($0) }
            }
        }
    }
}

struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show one request in full.")

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Request id.") var id: String

    func run() async throws {
        try await reportingFailures {
            try RequestOutput.show(try await gateway.client().get("/v1/requests/\(PathSegment.encode(id))", as: RequestView.self), json: output.json)
        }
    }
}

enum QueryString {
    static func encode(_ items: [URLQueryItem]) -> String {
        var components = URLComponents()
        components.queryItems = items
        return components.percentEncodedQuery.map { "?" + $0.replacingOccurrences(of: "+", with: "%2B") } ?? ""
    }
}

enum PathSegment {
    /// RFC 3986's unreserved characters, ASCII only, go as they are, and everything else is
    /// percent-encoded. The gateway matches path segments without decoding them, so `first.last`
    /// must reach it as `first.last`, not as `first%2Elast`.
    static let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    static func encode(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }
}
