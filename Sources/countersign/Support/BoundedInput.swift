import AsyncHTTPClient
import Foundation

/// Input that comes from outside the gateway (a token, a JWKS), read with a bound on its size so
/// that a huge or endless source costs no more than the bound.
enum BoundedInput {
    /// A token argument: `-` reads standard input, `@FILE` a file, anything else is the token.
    /// The first two keep the token off the command line, where `ps` shows it to every user.
    static func token(_ argument: String, limit: Int) throws(CLIFailure) -> String {
        let bytes: [UInt8]
        if argument == "-" {
            bytes = try read(FileHandle.standardInput, limit: limit, name: "standard input")
        } else if argument.hasPrefix("@") {
            bytes = try file(String(argument.dropFirst()), limit: limit)
        } else {
            return argument
        }
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The bytes of `path`, or an input failure; more than `limit` bytes are cut at `limit + 1`,
    /// for the reader to refuse as too large.
    static func file(_ path: String, limit: Int) throws(CLIFailure) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .input("cannot read \(path)") }
        defer { try? handle.close() }
        return try read(handle, limit: limit, name: path)
    }

    private static func read(_ handle: FileHandle, limit: Int, name: String) throws(CLIFailure) -> [UInt8] {
        var bytes: [UInt8] = []
        while bytes.count <= limit {
            let chunk: Data?
            do {
                chunk = try handle.read(upToCount: limit + 1 - bytes.count)
            } catch {
                throw .input("cannot read \(name)")
            }
            guard let chunk, !chunk.isEmpty else { break }
            bytes += chunk
        }
        return bytes
    }

    /// A document fetched over HTTP(S): at most `limit` bytes, a 200 answer, within ten seconds.
    /// Anything else is the source's failure, not the input's (exit 4).
    static func fetch(_ url: String, limit: Int) async throws(CLIFailure) -> [UInt8] {
        do {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
            guard response.status == .ok else {
                throw CLIFailure.unreachable("\(url) answered HTTP \(response.status.code)")
            }
            return Array(buffer: try await response.body.collect(upTo: limit))
        } catch let failure as CLIFailure {
            throw failure
        } catch {
            throw .unreachable("cannot fetch \(url), or it is larger than \(limit / 1024) KiB")
        }
    }
}
