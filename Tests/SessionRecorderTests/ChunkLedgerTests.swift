import Asciicast
import Foundation
import Glibc
import Testing
@testable import SessionRecorder

@Suite("The recorder's chunks: cut at 64 KiB or 250 ms, spooled first, bounded in memory, read back only if unaltered")
struct ChunkLedgerTests {
    struct Setup {
        let directory: URL
        let spool: SpoolFile
        let ledger: ChunkLedger
        let clock = ManualSessionClock()
        var recording: SessionRecording

        init(memoryLimit: Int = 16 * 1024 * 1024, recordsInput: Bool = false) throws {
            directory = try RecorderFixtures.scratch()
            spool = try SpoolFile.create(directory: directory.appendingPathComponent("spool").path, name: "r.cast")
            ledger = ChunkLedger(spool: spool, memoryLimit: memoryLimit)
            let header = try AsciicastHeader(size: AsciicastSize(columns: 80, rows: 24), timestamp: 1_796_119_200)
            recording = try SessionRecording(header: header, spool: spool, ledger: ledger, clock: clock, recordsInput: recordsInput, notices: SessionNotices())
        }

        mutating func output(_ text: String) {
            Array(text.utf8).withUnsafeBytes { recording.record(.output, $0) }
        }

        /// Every chunk's content, in order.
        func contents() -> [ChunkLedger.Content] {
            (0..<ledger.count).compactMap { ledger.content(of: $0)?.content }
        }

        /// The chunks' bytes one after the other (lost ones left out).
        func joined() -> [UInt8] {
            var bytes: [UInt8] = []
            for case .bytes(let chunk) in contents() { bytes += chunk }
            return bytes
        }

        func spoolBytes() throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: spool.path))) }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    @Test("the header is chunk 0 on its own, in the spool (0600, directory 0700) before anything happens")
    func headerFirst() throws {
        let setup = try Setup()
        defer { setup.remove() }
        let header = Array(#"{"version": 2, "width": 80, "height": 24, "timestamp": 1796119200}"#.utf8) + [0x0A]
        #expect(setup.contents() == [.bytes(header)])
        #expect(try setup.spoolBytes() == header)
        #expect(try FileManager.default.attributesOfItem(atPath: setup.spool.path)[.posixPermissions] as? Int == 0o600)
        #expect(try FileManager.default.attributesOfItem(atPath: setup.directory.appendingPathComponent("spool").path)[.posixPermissions] as? Int == 0o700)
        let again = #expect(throws: RecorderError.self) { try SpoolFile.create(directory: setup.directory.appendingPathComponent("spool").path, name: "r.cast") }
        #expect(again?.code == .spoolUnavailable, "a spool is never reused")
    }

    @Test("output waits until 250 ms after the last cut, then is cut, spooled and handed over; the final chunk always exists")
    func cutByTime() throws {
        var setup = try Setup()
        defer { setup.remove() }
        setup.clock.advance(milliseconds: 10)
        setup.output("$ ls\r\n")
        setup.recording.cutIfDue()
        #expect(setup.ledger.count == 1, "10 ms after the header's cut: not yet")
        #expect((1...250).contains(setup.recording.millisecondsUntilCut))
        setup.clock.advance(milliseconds: 240)
        #expect(setup.recording.millisecondsUntilCut == 0)
        setup.recording.cutIfDue()
        #expect(setup.contents().last == .bytes(Array("[0.010000, \"o\", \"$ ls\\r\\n\"]\n".utf8)))
        #expect(setup.recording.millisecondsUntilCut == -1, "nothing waits: the loop may sleep")
        setup.recording.finish(exitStatus: 3)
        #expect(setup.ledger.finish?.exitStatus == 3)
        #expect(setup.contents().last == .bytes([]), "the final chunk is empty when nothing waits")
        #expect(setup.ledger.content(of: setup.ledger.count - 1)?.isFinal == true)
        #expect(try setup.spoolBytes() == setup.joined())
    }

    @Test("a flood is cut at 64 KiB of lines, and no chunk passes 1 MiB even when every byte needs an escape")
    func cutBySize() throws {
        var setup = try Setup()
        defer { setup.remove() }
        let text = [UInt8](repeating: UInt8(ascii: "x"), count: 4096)
        for _ in 0..<15 { text.withUnsafeBytes { setup.recording.record(.output, $0) } }
        #expect(setup.ledger.count == 1, "15 reads of 4 KiB make less than 64 KiB of lines")
        text.withUnsafeBytes { setup.recording.record(.output, $0) }
        #expect(setup.ledger.count == 2, "the 16th passes 64 KiB: one cut")
        let binary = [UInt8](repeating: 0x01, count: Descriptor.readSize)
        for _ in 0..<8 { binary.withUnsafeBytes { setup.recording.record(.output, $0) } }
        setup.recording.finish(exitStatus: 0)
        for case .bytes(let bytes) in setup.contents() {
            #expect(bytes.count <= 1024 * 1024)
        }
        var sizes: [Int] = []
        for case .bytes(let bytes) in setup.contents() { sizes.append(bytes.count) }
        #expect(sizes.dropFirst().dropLast().allSatisfy { $0 >= SessionRecording.chunkBytes }, "\(sizes)")
        // Each 64 KiB of \u0001 is 384 KiB of line: one read, one chunk.
        #expect(sizes.max() ?? 0 > 6 * Descriptor.readSize)
    }

    @Test("input is recorded only when the certificate says so")
    func inputOnlyWhenAsked() throws {
        for recordsInput in [false, true] {
            var setup = try Setup(recordsInput: recordsInput)
            defer { setup.remove() }
            Array("secret\r".utf8).withUnsafeBytes { setup.recording.record(.input, $0) }
            setup.recording.finish(exitStatus: 0)
            let text = String(decoding: try setup.spoolBytes(), as: UTF8.self)
            #expect(text.contains(#""i", "secret\r""#) == recordsInput)
        }
    }

    @Test("past the memory limit the oldest chunks leave memory and are read back from the spool, identical")
    func evictedChunksReadBack() throws {
        var setup = try Setup(memoryLimit: 64 * 1024)
        defer { setup.remove() }
        let read = [UInt8](repeating: UInt8(ascii: "a"), count: 4096)
        for _ in 0..<200 { read.withUnsafeBytes { setup.recording.record(.output, $0) } }
        setup.recording.finish(exitStatus: 0)
        let spool = try setup.spoolBytes()
        #expect(setup.joined() == spool)
        #expect(setup.contents().allSatisfy { if case .lost = $0 { false } else { true } })
    }

    @Test("a spool truncated or edited behind the recorder's back makes those chunks lost, never other bytes sent")
    func alteredSpoolIsLost() throws {
        var setup = try Setup(memoryLimit: 64 * 1024)
        defer { setup.remove() }
        let read = [UInt8](repeating: UInt8(ascii: "a"), count: 4096)
        for _ in 0..<100 { read.withUnsafeBytes { setup.recording.record(.output, $0) } }
        setup.recording.finish(exitStatus: 0)
        let count = setup.ledger.count
        // Chunk 1 edited in place (one byte), everything after chunk 2 cut off.
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: setup.spool.path))
        let header = Array(#"{"version": 2, "width": 80, "height": 24, "timestamp": 1796119200}"#.utf8).count + 1
        try handle.seek(toOffset: UInt64(header + 100))
        try handle.write(contentsOf: Data("b".utf8))
        try handle.truncate(atOffset: UInt64(header + 2 * 66 * 1024))
        try handle.close()
        let contents = setup.contents()
        #expect(contents.count == count)
        #expect(contents[0] != .lost(length: header), "the header stays in memory")
        guard case .lost = contents[1] else { Issue.record("an edited chunk must be lost: \(contents[1])"); return }
        #expect(contents.suffix(from: 3).dropLast().allSatisfy { if case .lost = $0 { true } else { false } }, "truncated away")
        guard case .bytes = contents[2] else { Issue.record("chunk 2 was left as it was: \(contents[2])"); return }
    }

    @Test("a chunk stored by the gateway leaves memory keeping its digest: resent from the spool if the gateway asks again")
    func storedChunksCanBeResent() throws {
        var setup = try Setup()
        defer { setup.remove() }
        setup.output("one\r\n")
        setup.clock.advance(milliseconds: 300)
        setup.recording.cutIfDue()
        setup.output("two\r\n")
        setup.recording.finish(exitStatus: 0)
        let before = setup.contents()
        for index in 0..<setup.ledger.count { setup.ledger.stored(index, as: index + 5) }
        #expect(setup.contents() == before)
        #expect(setup.ledger.firstChunk(storedAtOrAfter: 6) == 1)
        #expect(setup.ledger.storedChunks == setup.ledger.count && setup.ledger.unstoredBytes == 0)
        setup.ledger.forget(storedFrom: 6)
        #expect(setup.ledger.storedChunks == 1)
    }
}
