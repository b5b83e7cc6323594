import CountersignCore
import CountersignStore

/// A person who proves who they are with their enrolled key alone, without a session (break-glass
/// while PAM's back end is down). Each such attempt is counted under the same limits as a password
/// login, per user and per address: an anonymous caller may neither guess nor flood its way in,
/// nor grow the audit log without bound.
extension SessionAuthority {
    struct KeyAloneAttempt {
        let receipt: AttemptReceipt
        let counters: LoginThrottle.Counters
    }

    /// Counts one attempt for `user` from `address`, or refuses it with 429 and Retry-After.
    func admitKeyAlone(_ user: Username, from address: String) async throws -> KeyAloneAttempt {
        let now = clock.now()
        let userKey = user.rawValue.lowercased()
        let addressKey = IPAddress(address)?.throttleKey ?? address
        let counters = throttle.withLock { $0.counters(user: userKey, address: addressKey) }
        switch try await store.admit(counters.all, at: now) {
        case .admitted(let receipt):
            return KeyAloneAttempt(receipt: receipt, counters: counters)
        case .refused(let counter, let wait):
            try await refuseThrottled(
                LoginThrottle.Refusal(limitOf: counter), wait: wait, user: userKey, attempted: user.rawValue, address: address, addressKey: addressKey, at: now
            )
        }
    }

    /// The key proved the person: the attempt no longer counts against them, as after a right password.
    func succeeded(_ attempt: KeyAloneAttempt) async throws {
        try await store.withdraw(attempt.receipt, from: [attempt.counters.user, attempt.counters.address], resetting: [attempt.counters.userAtAddress])
    }
}
