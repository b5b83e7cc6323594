import Asciicast
import CRecorderPTY
import Glibc

/// The loop of a session with a terminal: what the session's pseudo-terminal prints goes to the
/// user's terminal and into the recording; what the user types goes to the session (and into the
/// recording when input is recorded); resizes and signals are passed on. One thread, poll(2) on
/// the master, standard input and the signal pipe.
struct TerminalRelay {
    /// After the program ends, output still arriving (a background job holding the terminal) is
    /// relayed until the master reports every slave closed, or this long passes without any.
    static let quietAfterExit: UInt64 = 100_000_000
    /// ... and never for longer than this: the session ended with its program, as sshd has it.
    static let drainLimit: UInt64 = 2_000_000_000

    /// Reads of the master per wake-up of poll: under a flood of output the next read usually has
    /// data already, and the poll between them is a system call saved.
    static let readsPerWake = 16

    let child: SessionChild
    let master: Int32
    let signals: SignalPipe
    let clock: any SessionClock

    /// Runs until the program has ended and its output is relayed; its exit status.
    func run(_ recording: inout SessionRecording) -> Int32 {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Descriptor.readSize, alignment: 16)
        defer { buffer.deallocate() }
        var toSession = OutgoingBytes()
        var masterOpen = true
        var userOpen = true
        var userTerminalGone = false
        var status: Int32?
        var lastActivity: UInt64 = 0
        var exitedAt: UInt64 = 0
        var descriptors = [pollfd](repeating: pollfd(), count: 3)
        while true {
            if let status {
                let now = clock.nanoseconds()
                if !masterOpen || now &- lastActivity >= Self.quietAfterExit || now &- exitedAt >= Self.drainLimit { return status }
            }
            descriptors[0] = pollfd(fd: signals.descriptor, events: Int16(POLLIN), revents: 0)
            var count = 1
            var masterSlot = -1
            var userSlot = -1
            if masterOpen {
                descriptors[count] = pollfd(fd: master, events: Int16(POLLIN) | (toSession.isEmpty ? 0 : Int16(POLLOUT)), revents: 0)
                masterSlot = count
                count += 1
            }
            // Nothing more is read from the user while the session has not taken what was typed.
            if userOpen, toSession.isEmpty, status == nil {
                descriptors[count] = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
                userSlot = count
                count += 1
            }
            var timeout = recording.millisecondsUntilCut
            if status != nil { timeout = timeout < 0 ? 100 : min(timeout, 100) }
            guard poll(&descriptors, nfds_t(count), timeout) >= 0 || errno == EINTR else { return status ?? 255 }

            // Signals first: a resize applies before what is typed after it.
            if descriptors[0].revents & Int16(POLLIN) != 0 {
                for signal in signals.drain() {
                    switch signal {
                    case SIGCHLD:
                        if status == nil, let ended = child.reap() {
                            status = ended
                            exitedAt = clock.nanoseconds()
                            lastActivity = exitedAt
                        }
                    case SIGWINCH: resize(&recording)
                    default: child.forward(signal)
                    }
                }
            }
            if masterSlot >= 0 {
                let events = descriptors[masterSlot].revents
                if events & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                    reading: for _ in 0..<Self.readsPerWake {
                        switch Descriptor.read(master, into: buffer) {
                        case .data(let got):
                            let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<got])
                            if !userTerminalGone, !Descriptor.writeAll(STDOUT_FILENO, bytes) { userTerminalGone = true }
                            recording.record(.output, bytes)
                            lastActivity = clock.nanoseconds()
                        case .end:
                            masterOpen = false
                            break reading
                        case .wouldBlock: break reading
                        }
                    }
                }
                if masterOpen, events & Int16(POLLOUT) != 0 { _ = toSession.send(to: master) }
            }
            if userSlot >= 0, descriptors[userSlot].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                switch Descriptor.read(STDIN_FILENO, into: buffer) {
                case .data(let got):
                    let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<got])
                    recording.record(.input, bytes)
                    toSession.append(bytes)
                    _ = toSession.send(to: master)
                case .end: userOpen = false
                case .wouldBlock: break
                }
            }
            recording.cutIfDue()
        }
    }

    /// The user's terminal was resized: the session's terminal takes the same size (the kernel
    /// then signals its foreground programs) and the recording notes it.
    private func resize(_ recording: inout SessionRecording) {
        guard var size = WindowSize.of(STDIN_FILENO) else { return }
        _ = countersign_set_window_size(master, &size)
        if let recorded = try? AsciicastSize(columns: Int(size.ws_col), rows: Int(size.ws_row)) { recording.resize(recorded) }
    }
}
