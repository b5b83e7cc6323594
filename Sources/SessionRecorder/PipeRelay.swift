import Glibc

/// The loop of a session without a terminal (`ssh host cmd`, scp-like use): the command's
/// standard output and error go to the recorder's own, both recorded as output; the user's input
/// goes to the command's standard input, and its end of file too. It ends, as sshd's own session
/// does, when the command has exited and both of its outputs are closed.
///
/// Output and error share the asciicast "o" stream, the only one there is for output: a UTF-8
/// character split across a read of one and then the other decodes to U+FFFD.
struct PipeRelay {
    let child: SessionChild
    let pipes: SessionChild.Pipes
    let signals: SignalPipe

    func run(_ recording: inout SessionRecording) -> Int32 {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Descriptor.readSize, alignment: 16)
        defer { buffer.deallocate() }
        var toSession = OutgoingBytes()
        var outputOpen = true
        var errorOpen = true
        var userOpen = true
        var inputOpen = true
        var outputGone = false
        var errorGone = false
        var status: Int32?
        var descriptors = [pollfd](repeating: pollfd(), count: 5)
        defer {
            if inputOpen { close(pipes.input) }
            close(pipes.output)
            close(pipes.error)
        }
        while true {
            if let status, !outputOpen, !errorOpen { return status }
            if inputOpen, !userOpen, toSession.isEmpty {
                // The user's end of file, passed on once what they sent has been taken.
                close(pipes.input)
                inputOpen = false
            }
            var count = 0
            func watch(_ descriptor: Int32, _ events: Int32) -> Int {
                descriptors[count] = pollfd(fd: descriptor, events: Int16(events), revents: 0)
                count += 1
                return count - 1
            }
            let signalSlot = watch(signals.descriptor, POLLIN)
            let outputSlot = outputOpen ? watch(pipes.output, POLLIN) : -1
            let errorSlot = errorOpen ? watch(pipes.error, POLLIN) : -1
            let userSlot = userOpen && inputOpen && toSession.isEmpty ? watch(STDIN_FILENO, POLLIN) : -1
            let inputSlot = inputOpen && !toSession.isEmpty ? watch(pipes.input, POLLOUT) : -1
            guard poll(&descriptors, nfds_t(count), recording.millisecondsUntilCut) >= 0 || errno == EINTR else { return status ?? 255 }

            func ready(_ slot: Int, _ events: Int32) -> Bool {
                slot >= 0 && descriptors[slot].revents & Int16(events | POLLHUP | POLLERR) != 0
            }
            if ready(outputSlot, POLLIN) { relay(pipes.output, to: STDOUT_FILENO, &outputOpen, &outputGone, buffer, &recording) }
            if ready(errorSlot, POLLIN) { relay(pipes.error, to: STDERR_FILENO, &errorOpen, &errorGone, buffer, &recording) }
            if ready(userSlot, POLLIN) {
                switch Descriptor.read(STDIN_FILENO, into: buffer) {
                case .data(let got):
                    let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<got])
                    recording.record(.input, bytes)
                    toSession.append(bytes)
                case .end: userOpen = false
                case .wouldBlock: break
                }
            }
            if inputOpen, !toSession.isEmpty, inputSlot >= 0 || userSlot >= 0 {
                // A command that closed its input takes no more: the user's input stops there.
                if !toSession.send(to: pipes.input) {
                    close(pipes.input)
                    inputOpen = false
                }
            }
            if descriptors[signalSlot].revents & Int16(POLLIN) != 0 {
                for signal in signals.drain() {
                    switch signal {
                    case SIGCHLD:
                        if status == nil { status = child.reap() }
                    case SIGWINCH: break
                    default: child.forward(signal)
                    }
                }
            }
            recording.cutIfDue()
        }
    }

    private func relay(
        _ source: Int32, to destination: Int32, _ open: inout Bool, _ gone: inout Bool, _ buffer: UnsafeMutableRawBufferPointer,
        _ recording: inout SessionRecording
    ) {
        switch Descriptor.read(source, into: buffer) {
        case .data(let got):
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<got])
            if !gone, !Descriptor.writeAll(destination, bytes) { gone = true }
            recording.record(.output, bytes)
        case .end: open = false
        case .wouldBlock: break
        }
    }
}
