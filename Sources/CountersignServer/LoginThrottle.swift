import CountersignCore
import Foundation

/// Decides, before PAM is asked, whether a login may be checked at all, and counts the attempt
/// at once: a burst of parallel guesses would otherwise all pass a limit that counts only the
/// answers that came back.
///
/// Three limits, because one shared address (a NAT, a reverse proxy) and one attacked account
/// pull in opposite directions:
/// - per user *and* address (`failedLoginsPerUser`, 5 in 15 minutes by default): the hard limit a
///   guesser meets. It is keyed by the pair so that an attacker at one address throttles only
///   themselves, never alice at hers;
/// - per user across every address (`failedLoginsPerUserAcrossAddresses`, gentler: 20 by
///   default): slows a guesser who spreads over many addresses, at the price that such an
///   attacker (four addresses or more) can make alice wait out the window; a lock-out that ends
///   when the attack does, never an indefinite one;
/// - per address across users (`failedLoginsPerAddress`): stops password spraying.
///
/// On top, only one password check per user and a few per address run at once; more get 429
/// without reaching PAM, so the counts above are never outrun by checks still in flight.
struct LoginThrottle {
    static let concurrentChecksPerUser = 1
    static let concurrentChecksPerAddress = 4
    /// About PAM's own fail delay: by then the check in flight has answered.
    static let busyRetryAfter: TimeInterval = 3

    /// Which limit refused a login, as the audit log and the metrics name it.
    enum Refusal: String {
        case userAtAddressLimit = "user_at_address_limit"
        case userLimit = "user_limit"
        case addressLimit = "address_limit"
        case userBusy = "user_busy"
        case addressBusy = "address_busy"

        /// Whether the refusal is about the user; otherwise it is about the address alone, and its
        /// audit tally groups every username tried from there.
        var concernsUser: Bool { self != .addressLimit && self != .addressBusy }
        /// Whether the refusal is about the address; otherwise it is about the user wherever they are.
        var concernsAddress: Bool { self != .userLimit && self != .userBusy }
    }

    enum Admission {
        case admitted(Reservation)
        case refused(Refusal, retryAfter: TimeInterval)
    }

    /// An attempt counted as a failure until it is settled.
    struct Reservation {
        let user: String
        let address: String
        let at: Date
        var pair: String { user + "\u{0}" + address }
    }

    private var perUserAtAddress: FailureThrottle
    private var perUser: FailureThrottle
    private var perAddress: FailureThrottle
    // Entries exist only while a check runs, so these stay as small as the requests in flight.
    private var checksPerUser: [String: Int] = [:]
    private var checksPerAddress: [String: Int] = [:]

    init(perUserAtAddress: FailureThrottle.Limit, perUser: FailureThrottle.Limit, perAddress: FailureThrottle.Limit) {
        self.perUserAtAddress = FailureThrottle(limit: perUserAtAddress)
        self.perUser = FailureThrottle(limit: perUser)
        self.perAddress = FailureThrottle(limit: perAddress)
    }

    /// `user` and `address` are throttle keys (`SessionAuthority` folds case and IPv6 networks).
    mutating func admit(user: String, address: String, at now: Date) -> Admission {
        if checksPerUser[user, default: 0] >= Self.concurrentChecksPerUser {
            return .refused(.userBusy, retryAfter: Self.busyRetryAfter)
        }
        if checksPerAddress[address, default: 0] >= Self.concurrentChecksPerAddress {
            return .refused(.addressBusy, retryAfter: Self.busyRetryAfter)
        }
        let reservation = Reservation(user: user, address: address, at: now)
        let waits: [(Refusal, TimeInterval?)] = [
            (.userAtAddressLimit, perUserAtAddress.retryAfter(reservation.pair, at: now)),
            (.userLimit, perUser.retryAfter(user, at: now)),
            (.addressLimit, perAddress.retryAfter(address, at: now)),
        ]
        let firing = waits.compactMap { refusal, wait in wait.map { (refusal, $0) } }
        if let first = firing.first, let longest = firing.map(\.1).max() {
            return .refused(first.0, retryAfter: longest)
        }
        perUserAtAddress.recordFailure(reservation.pair, at: now)
        perUser.recordFailure(user, at: now)
        perAddress.recordFailure(address, at: now)
        checksPerUser[user, default: 0] += 1
        checksPerAddress[address, default: 0] += 1
        return .admitted(reservation)
    }

    /// Ends the check. A wrong password keeps its count; a right one takes its count back and
    /// clears the pair's failures (the real user, from where they are), but not the failures others
    /// left for the same user elsewhere.
    mutating func settle(_ reservation: Reservation, passwordWasRight: Bool) {
        Self.release(&checksPerUser, reservation.user)
        Self.release(&checksPerAddress, reservation.address)
        guard passwordWasRight else { return }
        perUserAtAddress.recordSuccess(reservation.pair)
        perUser.withdrawFailure(reservation.user, recordedAt: reservation.at)
        perAddress.withdrawFailure(reservation.address, recordedAt: reservation.at)
    }

    private static func release(_ counts: inout [String: Int], _ key: String) {
        let remaining = counts[key, default: 1] - 1
        counts[key] = remaining > 0 ? remaining : nil
    }
}
