import ArgumentParser
import CountersignAPI
import Foundation

struct ReviewBreakGlass: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "Record your verdict on a break-glass grant, justified or unjustified, by touching your security key.",
        discussion: """
            For one of the grant's reviewers (its rule's `reviewers`, default auditors), never its own user. Watch its \
            recordings first (`countersign recordings ls --request ID`). The gateway issues a challenge over exactly \
            this grant, verdict and notes; your enrolled key signs it through libfido2's fido2-assert (Debian package \
            fido2-tools), which asks for the key's PIN on the terminal. The review is kept with that evidence, so an \
            auditor can verify it later; an unjustified verdict is announced on the grant's channels.

            Exit status: 0 recorded; 1 refused (your own grant, not one of its reviewers, already reviewed, the touch \
            refused); 2 usage or input error; 3 the key was not touched in time; 4 gateway unreachable; 5 the key \
            could not be asked (no fido2-assert, no key plugged in, none of yours, its PIN refused, an unreadable answer).

            Example:
              countersign break-glass review ID --verdict justified --notes "A restart only"
            """
    )

    enum Verdict: String, ExpressibleByArgument, CaseIterable {
        case justified, unjustified
    }

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var securityKey: KeyTouchOptions
    @Argument(help: "Grant id.") var id: String
    @Option(help: "justified or unjustified.") var verdict: Verdict
    @Option(help: "What you saw in its recordings, and why this verdict.") var notes: String

    func run() async throws {
        try await reportingFailures {
            let client = try gateway.client()
            let grant = "/v1/break-glass/\(PathSegment.encode(id))"
            let options = try await client.post(
                grant + "/review-challenge", body: BreakGlassReviewBody(verdict: verdict.rawValue, notes: notes, keyTouch: nil), as: AssertionOptionsView.self
            )
            let touch = try securityKey.keyTouch.answer(options, to: "record your verdict on break-glass grant \(id): \(verdict.rawValue)", gateway: client)
            let reviewed: BreakGlassGrantView
            do throws(CLIFailure) {
                reviewed = try await client.post(
                    grant + "/review", body: BreakGlassReviewBody(verdict: verdict.rawValue, notes: notes, keyTouch: touch), as: BreakGlassGrantView.self
                )
            } catch {
                throw error.asTouchRefusal
            }
            if output.json {
                try JSONOutput.print(reviewed)
            } else {
                print("Break-glass grant \(reviewed.request.id) is reviewed: \(BreakGlassText.review(reviewed)).")
            }
        }
    }
}
