import ArgumentParser
import CountersignAPI
import Foundation

struct Approve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Approve a request from the command line.",
        discussion: "Only where the request's policy rule sets hardware_key: false; otherwise approve in the reviewer page with your security key."
    )

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Request id.") var id: String

    func run() async throws {
        try await reportingFailures {
            let request = try await gateway.client().post("/v1/requests/\(PathSegment.encode(id))/approve", as: RequestView.self)
            try output.json ? JSONOutput.print(request) : print("Request \(request.id) is \(request.state): \(request.requirement.summary)")
        }
    }
}

struct Deny: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Deny a request, with a reason. A denial is final.")

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Request id.") var id: String
    @Option(help: "Why it is denied; the requester reads it.") var reason: String

    func run() async throws {
        try await reportingFailures {
            let request = try await gateway.client().post("/v1/requests/\(PathSegment.encode(id))/deny", body: ReasonBody(reason: reason), as: RequestView.self)
            try output.json ? JSONOutput.print(request) : print("Request \(request.id) is \(request.state).")
        }
    }
}

struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Cancel your own pending request.")

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Request id.") var id: String

    func run() async throws {
        try await reportingFailures {
            let request = try await gateway.client().post("/v1/requests/\(PathSegment.encode(id))/cancel", as: RequestView.self)
            try output.json ? JSONOutput.print(request) : print("Request \(request.id) is \(request.state).")
        }
    }
}

struct Revoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Revoke an approved request before its access ends (the requester or an admin).")

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Request id.") var id: String
    @Option(help: "Why access is revoked.") var reason: String

    func run() async throws {
        try await reportingFailures {
            let request = try await gateway.client().post("/v1/requests/\(PathSegment.encode(id))/revoke", body: ReasonBody(reason: reason), as: RequestView.self)
            try output.json ? JSONOutput.print(request) : print("Request \(request.id) is \(request.state).")
        }
    }
}
