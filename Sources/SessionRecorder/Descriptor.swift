import Glibc

/// Reads and writes on the session's descriptors, with the cases the loops act on spelled out.
enum Descriptor {
    /// The session's reads are this large: a pipe hands over up to 64 KiB at once, and fewer,
    /// larger reads are most of what makes the recorder as fast as the terminal.
    static let readSize = 64 * 1024

    enum ReadResult {
        case data(Int)
        /// End of file, or EIO: a pty master reads EIO once every slave descriptor is closed.
        case end
        case wouldBlock
    }

    static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer) -> ReadResult {
        while true {
            let got = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            if got > 0 { return .data(got) }
            if got == 0 { return .end }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .end
            }
        }
    }

    /// Writes all of `bytes`, waiting as long as it takes: the user's terminal sets the pace, as it
    /// does for sshd itself. False when the descriptor is gone (EPIPE, EIO): the session then goes
    /// on, recorded, with nobody watching.
    static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var done = 0
        while done < bytes.count {
            let wrote = Glibc.write(descriptor, bytes.baseAddress.map { $0 + done }, bytes.count - done)
            if wrote > 0 {
                done += wrote
                continue
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK:
                // Standard output shares its open file with standard input, whose flags a
                // program before us may have made non-blocking.
                var ready = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                _ = poll(&ready, 1, -1)
            default: return false
            }
        }
        return true
    }
}

/// Bytes on their way to a non-blocking descriptor that takes them when it can: what the user
/// typed, for a session that is not reading yet. While any wait, nothing more is read from the
/// user, so this holds at most one read.
struct OutgoingBytes {
    private var bytes: [UInt8] = []
    private var sent = 0

    var isEmpty: Bool { sent == bytes.count }

    mutating func append(_ more: UnsafeRawBufferPointer) {
        if isEmpty {
            bytes.removeAll(keepingCapacity: true)
            sent = 0
        }
        bytes.append(contentsOf: more)
    }

    /// Writes what `descriptor` takes now; false when it is gone (its reader closed it), and then
    /// what waited is dropped.
    mutating func send(to descriptor: Int32) -> Bool {
        while !isEmpty {
            let wrote = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress.map { $0 + sent }, $0.count - sent) }
            if wrote > 0 {
                sent += wrote
                continue
            }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return true }
            sent = bytes.count
            return false
        }
        return true
    }
}
