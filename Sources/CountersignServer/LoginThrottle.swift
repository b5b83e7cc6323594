import CountersignCore
import Foundation

/// Decides, before PAM is asked, whether a login may be checked at all. The attempt is counted
/// at once, in the store (`AttemptLedger.admit`): a burst of parallel guesses, on one gateway or
/// spread over several on one database, would otherwise all pass a limit that counts only the
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
/// On top, only one password check per user and a few per address run at once on a gateway;
/// more get 429 without reaching PAM. That cap protects the gateway's PAM from a flood and is
/// kept in its memory: the counts above already hold across gateways.
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

        init(limitOf counter: AttemptCounter) {
            self = switch counter.scope {
            case .loginUser: .userLimit
            case .loginAddress: .addressLimit
            case .loginUserAtAddress, .keyApprovalRefusals: .userAtAddressLimit
            }
        }

        /// Whether the refusal is about the user; otherwise it is about the address alone, and its
        /// audit tally groups every username tried from there.
        var concernsUser: Bool { self != .addressLimit && self != .addressBusy }
        /// Whether the refusal is about the address; otherwise it is about the user wherever they are.
        var concernsAddress: Bool { self != .userLimit && self != .userBusy }
    }

    /// The counters of one login attempt. `user` and `address` are throttle keys
    /// (`SessionAuthority` folds case and IPv6 networks).
    struct Counters {
        let userAtAddress: AttemptCounter
        let user: AttemptCounter
        let address: AttemptCounter

        /// In the order a refusal names them: the pair's limit is the one a guesser meets first.
        var all: [AttemptCounter] { [userAtAddress, user, address] }
    }

    let perUserAtAddress: AttemptLimit
    let perUser: AttemptLimit
    let perAddress: AttemptLimit
    // Entries exist only while a check runs, so these stay as small as the requests in flight.
    private var checksPerUser: [String: Int] = [:]
    private var checksPerAddress: [String: Int] = [:]

    init(perUserAtAddress: AttemptLimit, perUser: AttemptLimit, perAddress: AttemptLimit) {
        self.perUserAtAddress = perUserAtAddress
        self.perUser = perUser
        self.perAddress = perAddress
    }

    func counters(user: String, address: String) -> Counters {
        // Neither a username nor an address holds an '@', so one pair's key is no other pair's.
        Counters(
            userAtAddress: AttemptCounter(.loginUserAtAddress, key: user + "@" + address, limit: perUserAtAddress),
            user: AttemptCounter(.loginUser, key: user, limit: perUser),
            address: AttemptCounter(.loginAddress, key: address, limit: perAddress)
        )
    }

    /// Starts a password check, or names the cap that refuses it; a started check must be ended
    /// with `endCheck` whatever its outcome.
    mutating func beginCheck(user: String, address: String) -> Refusal? {
        if checksPerUser[user, default: 0] >= Self.concurrentChecksPerUser { return .userBusy }
        if checksPerAddress[address, default: 0] >= Self.concurrentChecksPerAddress { return .addressBusy }
        checksPerUser[user, default: 0] += 1
        checksPerAddress[address, default: 0] += 1
        return nil
    }

    mutating func endCheck(user: String, address: String) {
        Self.release(&checksPerUser, user)
        Self.release(&checksPerAddress, address)
    }

    private static func release(_ counts: inout [String: Int], _ key: String) {
        let remaining = counts[key, default: 1] - 1
        counts[key] = remaining > 0 ? remaining : nil
    }
}
