import ArgumentParser

/// Options every command that talks to the gateway shares.
struct GatewayOptions: ParsableArguments {
    @Option(help: "Gateway URL. [env: COUNTERSIGN_SERVER; default: the server you logged in to, else http://127.0.0.1:8080]")
    var server: String?

    func client(requireLogin: Bool = true) throws(CLIFailure) -> GatewayClient {
        try GatewayClient.resolve(server: server, requireLogin: requireLogin)
    }
}

/// `--json` on read commands: print the API's documented JSON shape instead of text.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON (the API's documented shape) instead of text.")
    var json = false
}
