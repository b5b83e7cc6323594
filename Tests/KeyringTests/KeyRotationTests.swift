import Crypto
import Foundation
import Keyring
import Testing

@Suite("Key schedules and rotation")
struct KeyRotationTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)
    static let day: TimeInterval = 24 * 3600

    /// Rotated at `start`, switching a day later, the old key published a day past the switch.
    static func rotated() throws -> KeySchedule {
        try KeySchedule.initial.rotating(switchAt: start.addingTimeInterval(day), overlap: day, at: start)
    }

    @Test("which generation signs, and which are published, at each moment of a rotation", arguments: [
        // (seconds after the rotation, signer, published)
        (0.0, 1, [1, 2]),
        (day - 0.001, 1, [1, 2]),
        (day, 2, [1, 2]),
        (2 * day - 0.001, 2, [1, 2]),
        (2 * day, 2, [2]),
    ])
    func moments(_ offset: TimeInterval, _ signer: Int, _ published: [Int]) throws {
        let schedule = try Self.rotated()
        let now = Self.start.addingTimeInterval(offset)
        #expect(schedule.signer(at: now).number == signer)
        #expect(schedule.published(at: now).map(\.number) == published)
    }

    @Test("one rotation at a time; a rotation after the switch retires the key then signing")
    func oneAtATime() throws {
        let schedule = try Self.rotated()
        #expect(throws: KeyringError(.rotationPending, "generation 2 is already scheduled to sign from \(Self.start.addingTimeInterval(Self.day)); rotate again after it has")) {
            try schedule.rotating(switchAt: Self.start.addingTimeInterval(2 * Self.day), overlap: Self.day, at: Self.start.addingTimeInterval(60))
        }
        let later = Self.start.addingTimeInterval(3 * Self.day)
        let third = try schedule.rotating(switchAt: later, overlap: Self.day, at: later)
        #expect(third.signer(at: later).number == 3)
        #expect(third.published(at: later).map(\.number) == [2, 3])
        #expect(third.generations[1].retiresAt == later.addingTimeInterval(Self.day))
        #expect(throws: KeyringError.self) { try KeySchedule.initial.rotating(switchAt: Self.start, overlap: 0, at: Self.start.addingTimeInterval(1)) }
    }

    @Test("at most three keys are trusted at once, however often an admin rotates")
    func boundedTrust() throws {
        var schedule = KeySchedule.initial
        schedule = try schedule.rotating(switchAt: Self.start, overlap: Self.day, at: Self.start)
        schedule = try schedule.rotating(switchAt: Self.start.addingTimeInterval(1), overlap: Self.day, at: Self.start.addingTimeInterval(1))
        #expect(schedule.published(at: Self.start.addingTimeInterval(1)).count == 3)
        let error = #expect(throws: KeyringError.self) {
            try schedule.rotating(switchAt: Self.start.addingTimeInterval(2), overlap: Self.day, at: Self.start.addingTimeInterval(2))
        }
        #expect(error?.code == .rotationPending)
        let dayLater = Self.start.addingTimeInterval(Self.day)
        #expect(try schedule.rotating(switchAt: dayLater, overlap: Self.day, at: dayLater).published(at: dayLater).count == 3)
    }

    @Test("the schedule file reads back to the same schedule")
    func roundTrip() throws {
        let schedule = try Self.rotated()
        #expect(schedule.text == "1 - 1800172800000\n2 1800086400000 -\n")
        #expect(try KeySchedule(text: schedule.text) == schedule)
        #expect(try KeySchedule(text: KeySchedule.initial.text) == .initial)
    }

    @Test("distrusting the key signing now withdraws it at once; the next signs from now, a scheduled one moved forward")
    func distrust() throws {
        let now = Self.start.addingTimeInterval(60)
        let alone = try KeySchedule.initial.distrustingSigner(at: now)
        #expect(alone.signer(at: now).number == 2)
        #expect(alone.published(at: now).map(\.number) == [2], "the compromised key is no longer published")
        #expect(alone.generations.filter(\.distrusted).map(\.number) == [1])

        // During a rotation: the scheduled key (hosts may already trust it) signs at once.
        let pending = try Self.rotated().distrustingSigner(at: now)
        #expect(pending.signer(at: now).number == 2 && pending.signer(at: now).signsFrom == now)
        #expect(pending.published(at: now).map(\.number) == [2])
        #expect(pending.generations.count == 2)

        // Kept through the file, and still distrusted after later rotations.
        #expect(alone.text.hasPrefix("1 - 1800000060000 distrusted\n"))
        #expect(try KeySchedule(text: alone.text) == alone)
        let later = now.addingTimeInterval(Self.day)
        let rotatedAgain = try alone.rotating(switchAt: later, overlap: Self.day, at: later)
        #expect(rotatedAgain.generations.filter(\.distrusted).map(\.number) == [1])
        #expect(throws: KeyringError.self, "not in the very moment a key starts signing") { try alone.distrustingSigner(at: now) }
    }

    @Test("a damaged schedule file is refused, not guessed at", arguments: [
        "", "\n", "2 1800086400000 -\n", "1 5 -\n", "1 - -\n2 1800086400000 -\n",
        "1 - 1800172800000\n3 1800086400000 -\n", "1 - 1800000000000\n2 1800086400000 -\n",
        "1 - 1800172800000\n2 -5 -\n", "1 - 1800172800000\n2 soon -\n", "1 - 1800172800000 extra\n",
        "1 - - distrusted\n", "1 - 1800172800000 distrusted extra\n", "1 - 1800172800000 Distrusted\n",
        String(repeating: "1 - -\n", count: 200_000),
    ])
    func damaged(_ text: String) {
        #expect(throws: KeyringError.self) { try KeySchedule(text: text) }
    }

    @Test("a rotation is seen by every keyring on the directory, and its key is made once")
    func sharedDirectory() throws {
        try withTemporaryDirectory { directory in
            let first = FileKeyring(directory: directory)
            let second = FileKeyring(directory: directory)
            let original = try first.keySet(for: .sshUserCertificates).signer(at: Self.start).publicKey
            let prepared = try first.prepareRotation(of: .sshUserCertificates, switchAt: Self.start.addingTimeInterval(60), overlap: Self.day, at: Self.start)
            #expect(try second.keySet(for: .sshUserCertificates).published(at: Self.start).count == 1, "prepared is not published")
            let retried = try second.prepareRotation(of: .sshUserCertificates, switchAt: Self.start.addingTimeInterval(60), overlap: Self.day, at: Self.start)
            #expect(retried.published(at: Self.start).map(\.publicKey.rawRepresentation) == prepared.published(at: Self.start).map(\.publicKey.rawRepresentation),
                    "a second attempt takes up the key the first left")
            try first.publish(prepared)
            let seen = try second.keySet(for: .sshUserCertificates)
            #expect(seen.published(at: Self.start).count == 2)
            #expect(try seen.signer(at: Self.start).publicKey.rawRepresentation == original.rawRepresentation)
            let next = try seen.signer(at: Self.start.addingTimeInterval(60)).publicKey
            #expect(next.rawRepresentation != original.rawRepresentation)
            #expect(permissions(of: directory + "/ssh-user-ca.2.key") == 0o600)
            #expect(try PublicKeyFile.load(directory + "/ssh-user-ca.2.pub").rawRepresentation == next.rawRepresentation)
            #expect(permissions(of: directory + "/ssh-user-ca.schedule") == 0o644)
            let message: [UInt8] = Array("signed".utf8)
            #expect(next.isValidSignature(try seen.signer(at: Self.start.addingTimeInterval(60)).signature(for: message), for: message))
        }
    }

    @Test("a distrust is seen by every keyring on the directory, and its key is named as distrusted by all")
    func sharedDistrust() throws {
        try withTemporaryDirectory { directory in
            let first = FileKeyring(directory: directory)
            let second = FileKeyring(directory: directory)
            let now = Self.start.addingTimeInterval(60)
            let compromised = try second.keySet(for: .deployTokens).signer(at: now).publicKey
            let prepared = try first.prepareDistrust(of: .deployTokens, at: now)
            #expect(try second.keySet(for: .deployTokens).distrusted.isEmpty, "prepared is not published")
            try first.publish(prepared)
            let seen = try second.keySet(for: .deployTokens)
            #expect(seen.distrusted.map(\.publicKey.rawRepresentation) == [compromised.rawRepresentation])
            #expect(seen.published(at: now).map(\.generation.number) == [2])
            #expect(try seen.signer(at: now).publicKey.rawRepresentation != compromised.rawRepresentation)
            #expect(try second.keySet(for: .sshUserCertificates).distrusted.isEmpty, "other purposes' keys are untouched")
            #expect(throws: KeyringError.self, "a clock set back never brings the distrusted key back to sign") {
                try seen.signer(at: now.addingTimeInterval(-1))
            }
        }
    }

    @Test("a damaged schedule file stops signing rather than falling back to the first key")
    func damagedFile() throws {
        try withTemporaryDirectory { directory in
            let keyring = FileKeyring(directory: directory)
            _ = try keyring.keySet(for: .sshUserCertificates)
            try "2 nonsense\n".write(toFile: keyring.schedulePath(for: .sshUserCertificates), atomically: true, encoding: .utf8)
            let error = #expect(throws: KeyringError.self) { try keyring.keySet(for: .sshUserCertificates) }
            #expect(error?.code == .invalidSchedule)
        }
    }
}
