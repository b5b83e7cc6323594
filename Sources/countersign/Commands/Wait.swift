import ArgumentParser
import CountersignAPI
import CountersignPolicyFiles
import Foundation

struct Wait: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Wait until a request is decided.",
        discussion: "Exits 0 when approved, 1 when denied, cancelled, expired or revoked, 3 when --timeout passes first. On a terminal a status line shows progress."
    )

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Request id.") var id: String
    @Option(help: "Give up after this long, e.g. 10m (default: wait until the request itself expires).") var timeout: String?
    @Option(help: "Seconds between checks.") var interval = 2.0

    func validate() throws {
        if let timeout, PolicyDuration.seconds(from: timeout) == nil { throw ValidationError("--timeout must be a duration such as 10m") }
        guard (0.1...60).contains(interval) else { throw ValidationError("--interval must be between 0.1 and 60 seconds") }
    }

    func run() async throws {
        try await reportingFailures {
            let deadline = timeout.flatMap(PolicyDuration.seconds).map { Date().addingTimeInterval(TimeInterval($0)) }
            let live = Terminal.standardOutputIsTerminal && !output.json
            guard let request = try await Self.decision(of: id, from: try gateway.client(), every: interval, until: deadline, live: live) else {
                throw CLIFailure.timeout("request \(id) is still pending after \(timeout ?? "")")
            }
            try output.json ? JSONOutput.print(request) : print("Request \(request.id) is \(request.state): \(request.requirement.summary)")
            guard request.state == "approved" else { throw CLIFailure.refused("request \(request.id) was not approved (\(request.state))") }
        }
    }

    /// Asks for request `id` every `interval` seconds until it is pending no more, and answers it
    /// then; nil when `deadline` passes first. `live`: a status line on the terminal meanwhile.
    static func decision(
        of id: String, from client: GatewayClient, every interval: Double, until deadline: Date?, live: Bool
    ) async throws(CLIFailure) -> RequestView? {
        while true {
            let request = try await client.get("/v1/requests/\(PathSegment.encode(id))", as: RequestView.self)
            if request.state != "pending" {
                if live { print("\r\u{1b}[K", terminator: "") }
                return request
            }
            if live {
                print("\r\u{1b}[KWaiting for \(request.id): \(request.requirement.summary)", terminator: "")
                fflush(nil)
            }
            if let deadline, Date() >= deadline {
                if live { print("") }
                return nil
            }
            try? await Task.sleep(for: .seconds(interval))
        }
    }
}
