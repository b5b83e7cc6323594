import CountersignCore
import CountersignPolicyFiles
import CountersignStore
import Foundation
import Logging
import Synchronization

/// The policy in force, swapped whole on reload so a request is never judged by half of an old
/// policy and half of a new one. A new policy that fails to load leaves the old one in place.
public final class PolicyHolder: Sendable {
    private let directory: URL
    private let state: Mutex<LoadedPolicy>

    public init(directory: URL) throws(PolicyLoadError) {
        self.directory = directory
        state = Mutex(try PolicyDirectory.load(directory))
    }

    public var current: LoadedPolicy {
        state.withLock { $0 }
    }

    /// Reads the directory again without putting the result in force: the caller installs it
    /// only once the reload is audited.
    func loadAgain() throws(PolicyLoadError) -> LoadedPolicy {
        try PolicyDirectory.load(directory)
    }

    func install(_ loaded: LoadedPolicy) {
        state.withLock { $0 = loaded }
    }
}
