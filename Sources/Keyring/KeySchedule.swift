import Foundation

/// One generation of a purpose's key: from when it signs, and when it stops being published.
/// Verifiers (hosts' `TrustedUserCAKeys`, a deploy gate's JWKS) trust every published
/// generation, so a rotation publishes the next one before it signs and keeps the last one until
/// everything it signed has expired.
public struct KeyGeneration: Hashable, Sendable {
    public let number: Int
    public let signsFrom: Date
    /// Set once a successor is scheduled: the successor's start plus the longest a credential
    /// signed just before it lives.
    public let retiresAt: Date?
    /// Withdrawn in an emergency (the key is compromised): never published or signing again, and
    /// named as revoked wherever verifiers read revocations (an SSH KRL revokes every certificate
    /// it signed).
    public let distrusted: Bool

    public init(number: Int, signsFrom: Date, retiresAt: Date?, distrusted: Bool = false) {
        self.number = number
        self.signsFrom = signsFrom
        self.retiresAt = retiresAt
        self.distrusted = distrusted
    }

    func isPublished(at now: Date) -> Bool {
        retiresAt.map { now < $0 } ?? true
    }
}

/// The generations of one purpose's key, oldest first, each starting to sign after the one
/// before it. Pure: which key signs and which are published follow from the time asked about.
public struct KeySchedule: Hashable, Sendable {
    public let generations: [KeyGeneration]

    /// The first key, signing from the start and never retired.
    public static let initial = KeySchedule(checked: [KeyGeneration(number: 1, signsFrom: .distantPast, retiresAt: nil)])

    private init(checked generations: [KeyGeneration]) {
        self.generations = generations
    }

    /// The generation that signs at `now`: the newest that has started.
    public func signer(at now: Date) -> KeyGeneration {
        generations.last { $0.signsFrom <= now } ?? generations[0]
    }

    /// Every generation a verifier must trust at `now`: the one signing, the next if one is
    /// scheduled, and the last until it retires.
    public func published(at now: Date) -> [KeyGeneration] {
        generations.filter { $0.isPublished(at: now) }
    }

    /// A rotation scheduled but not yet switched to.
    public func pending(at now: Date) -> KeyGeneration? {
        generations.last.flatMap { $0.signsFrom > now ? $0 : nil }
    }

    /// The schedule with a next generation that signs from `switchAt`, the current one retiring
    /// `overlap` after that. One rotation at a time: a second, before the first has switched,
    /// would retire a key hosts may never have been told about.
    public func rotating(switchAt: Date, overlap: TimeInterval, at now: Date) throws(KeyringError) -> KeySchedule {
        if let pending = pending(at: now) {
            throw KeyringError(.rotationPending, "generation \(pending.number) is already scheduled to sign from \(pending.signsFrom); rotate again after it has")
        }
        // Each rotation leaves the key it replaces trusted for `overlap`: without a bound, rotating
        // again and again would have hosts trust any number of keys.
        let published = published(at: now)
        guard published.count < Self.maximumPublished else {
            let retiring = published.compactMap(\.retiresAt).min().map { " until \($0)" } ?? ""
            throw KeyringError(.rotationPending, "\(published.count) keys are trusted already; rotate again once the oldest retires\(retiring)")
        }
        guard switchAt >= now, overlap >= 0 else {
            throw KeyringError(.invalidSchedule, "a rotation switches now or later, and the old key stays published at least until then")
        }
        let current = signer(at: now)
        let retired = generations.map { generation in
            generation.number == current.number
                ? KeyGeneration(number: generation.number, signsFrom: generation.signsFrom, retiresAt: switchAt.addingTimeInterval(overlap))
                : generation
        }
        return KeySchedule(checked: retired + [KeyGeneration(number: current.number + 1, signsFrom: switchAt, retiresAt: nil)])
    }

    /// The schedule after the key signing at `now` is distrusted (compromised): it stops being
    /// published and signing at once, and the next generation signs from `now` (the one a
    /// rotation had scheduled, moved forward, or a new one). A generation distrusted once stays so.
    public func distrustingSigner(at now: Date) throws(KeyringError) -> KeySchedule {
        let current = signer(at: now)
        guard current.signsFrom < now else {
            throw KeyringError(.invalidSchedule, "generation \(current.number) started signing this very moment; distrust it a moment later")
        }
        var next = generations.filter { $0.number <= current.number }.map { generation in
            generation.number == current.number
                ? KeyGeneration(number: generation.number, signsFrom: generation.signsFrom, retiresAt: now, distrusted: true)
                : generation
        }
        next.append(KeyGeneration(number: current.number + 1, signsFrom: now, retiresAt: nil))
        return KeySchedule(checked: next)
    }

    // MARK: The schedule file

    /// One line per generation after the first: `NUMBER SIGNS_FROM RETIRES_AT`, times in whole
    /// milliseconds since the epoch, `-` for a generation not retiring, and a fourth field
    /// `distrusted` for a withdrawn key. The first generation is line `1 - RETIRES_AT` (it signs
    /// from the start).
    public var text: String {
        generations.map { generation in
            let from = generation.number == 1 ? "-" : String(Self.milliseconds(generation.signsFrom))
            let until = generation.retiresAt.map { String(Self.milliseconds($0)) } ?? "-"
            return "\(generation.number) \(from) \(until)\(generation.distrusted ? " \(Self.distrustedMark)" : "")\n"
        }.joined()
    }

    static let distrustedMark = "distrusted"

    /// Tens of thousands of generations, decades of rotations: a larger file is not a schedule.
    static let maximumTextSize = 1024 * 1024

    /// The current key, the next and one still retiring.
    public static let maximumPublished = 3

    public init(text: String) throws(KeyringError) {
        guard text.utf8.count <= Self.maximumTextSize else { throw Self.malformed("is too large") }
        var generations: [KeyGeneration] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard (3...4).contains(fields.count), let number = Int(fields[0]), number == generations.count + 1 else {
                throw Self.malformed("has a line that is not the next generation")
            }
            let signsFrom: Date
            if number == 1 {
                guard fields[1] == "-" else { throw Self.malformed("gives the first generation a start") }
                signsFrom = .distantPast
            } else {
                guard let milliseconds = Int64(fields[1]), milliseconds >= 0 else { throw Self.malformed("has a start that is not a time") }
                signsFrom = Self.date(milliseconds)
            }
            let retiresAt: Date?
            if fields[2] == "-" {
                retiresAt = nil
            } else {
                guard let milliseconds = Int64(fields[2]), milliseconds >= 0 else { throw Self.malformed("has a retirement that is not a time") }
                retiresAt = Self.date(milliseconds)
            }
            let distrusted = fields.count == 4
            guard !distrusted || (fields[3] == Self.distrustedMark && retiresAt != nil) else {
                throw Self.malformed("has a fourth field that is not a retired key's `\(Self.distrustedMark)`")
            }
            if let previous = generations.last {
                guard previous.signsFrom < signsFrom, let previousRetires = previous.retiresAt, previousRetires >= signsFrom else {
                    throw Self.malformed("has generation \(number) starting before the one it follows, or without its predecessor retiring after")
                }
            }
            generations.append(KeyGeneration(number: number, signsFrom: signsFrom, retiresAt: retiresAt, distrusted: distrusted))
        }
        guard !generations.isEmpty else { throw Self.malformed("names no generation") }
        self.init(checked: generations)
    }

    private static func malformed(_ what: String) -> KeyringError {
        KeyringError(.invalidSchedule, "the key schedule \(what)")
    }

    private static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    private static func date(_ milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: TimeInterval(milliseconds) / 1000)
    }
}
