import ArgumentParser
import CountersignAPI
import Foundation

struct Login: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Log in with your username and password (checked by PAM on the gateway).",
        discussion: "The session token is saved in $XDG_CONFIG_HOME/countersign/credentials with mode 0600."
    )

    @OptionGroup var gateway: GatewayOptions

    @Option(name: .shortAndLong, help: "Username (default: $USER).")
    var username: String?

    @Flag(help: "Read the password from standard input (one line) instead of prompting.")
    var passwordStdin = false

    func run() async throws {
        try await reportingFailures {
            let client = try gateway.client(requireLogin: false).withoutToken
            guard let user = username ?? ProcessInfo.processInfo.environment["USER"] else {
                throw CLIFailure.input("give --username")
            }
            let password = passwordStdin ? try Terminal.readLineFromStandardInput() : try Terminal.readPassword(prompt: "Password for \(user): ")
            let response = try await client.post("/v1/login", body: LoginBody(username: user, password: password), as: LoginResponse.self)
            try Credentials(server: client.server, username: response.username, token: response.token).save()
            print("Logged in to \(client.server) as \(response.username) (groups: \(response.groups.joined(separator: ", "))) until \(TextFormat.time(response.expiresAt)).")
        }
    }
}

struct Logout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Revoke your session on the gateway and forget the saved token.")

    @OptionGroup var gateway: GatewayOptions

    func run() async throws {
        try await reportingFailures {
            let client = try gateway.client()
            defer { Credentials.remove() }
            try await client.postIgnoringBody("/v1/logout")
            print("Logged out of \(client.server).")
        }
    }
}

struct WhoAmI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "whoami", abstract: "Show who you are logged in as, and your groups.")

    @OptionGroup var gateway: GatewayOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let identity = try await gateway.client().get("/v1/whoami", as: IdentityView.self)
            if output.json {
                try JSONOutput.print(identity)
            } else {
                print("\(identity.username) (groups: \(identity.groups.joined(separator: ", "))); session ends \(TextFormat.time(identity.sessionExpiresAt))")
            }
        }
    }
}
