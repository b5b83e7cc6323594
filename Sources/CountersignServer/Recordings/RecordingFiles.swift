import CountersignCore
import CountersignStore
import Crypto
import Foundation
import SecureFiles

/// The chunks of recordings as files, `<directory>/<recording id>/<sequence>.chunk`, each written
/// whole (a synced temporary file renamed over its name, the directory synced) before the store
/// counts it, and read back only against the size and SHA-256 the store kept: a file changed on
/// disk is an integrity error, never played as if it were the session.
struct RecordingFiles: Sendable {
    let directory: URL

    func keep(_ bytes: [UInt8], of id: RecordingID, sequence: Int) throws {
        let folder = directory.appendingPathComponent(id.rawValue, isDirectory: true).path
        try SecureFiles.createDirectory(folder, mode: 0o700)
        try SecureFiles.replace(path(of: id, sequence: sequence), bytes: bytes, mode: 0o600)
    }

    /// The whole recording as stored: its chunks in order, each checked against its proof.
    func contents(of id: RecordingID, chunks: [StoredChunk]) throws(StoreError) -> [UInt8] {
        var contents: [UInt8] = []
        for (expected, chunk) in chunks.enumerated() {
            guard chunk.sequence == expected else { throw tampered(id, "chunk \(expected) is missing from the store") }
            let bytes = try read(id, chunk)
            contents.append(contentsOf: bytes)
        }
        return contents
    }

    private func read(_ id: RecordingID, _ chunk: StoredChunk) throws(StoreError) -> [UInt8] {
        let path = path(of: id, sequence: chunk.sequence)
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw tampered(id, "chunk \(chunk.sequence) is missing on disk")
        }
        defer { try? handle.close() }
        let bytes: [UInt8]
        do {
            bytes = Array(try handle.read(upToCount: chunk.byteCount + 1) ?? Data())
        } catch {
            throw StoreError(.storageFailure, "cannot read chunk \(chunk.sequence) of recording \(id)")
        }
        guard bytes.count == chunk.byteCount, Array(SHA256.hash(data: bytes)) == chunk.digest else {
            throw tampered(id, "chunk \(chunk.sequence) on disk is not the chunk that was uploaded")
        }
        return bytes
    }

    private func tampered(_ id: RecordingID, _ message: String) -> StoreError {
        StoreError(.integrityViolation, "recording \(id): \(message)", subject: id.rawValue)
    }

    private func path(of id: RecordingID, sequence: Int) -> String {
        directory.appendingPathComponent(id.rawValue, isDirectory: true).appendingPathComponent(String(format: "%08d.chunk", sequence)).path
    }
}
