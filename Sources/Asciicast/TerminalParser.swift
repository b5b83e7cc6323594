/// What one character of terminal output asks for, once the parser has seen enough of it.
enum TerminalAction: Equatable {
    /// A character to show.
    case print(Unicode.Scalar)
    /// A C0 control (CR, LF, BS, HT, …).
    case control(UInt8)
    /// `ESC [intermediate] final`.
    case escape(final: UInt8, intermediate: UInt8)
    /// `CSI [private marker] parameters [intermediate] final`; the parameters are read from the
    /// parser.
    case controlSequence(final: UInt8, marker: UInt8, intermediate: UInt8)
}

/// Splits terminal output into printable characters, controls and escape sequences, after the
/// state machine DEC terminals follow (Paul Williams' "A parser for DEC's ANSI-compatible video
/// terminals"), reduced to what a text export needs.
///
/// Bounded whatever it is sent: at most `maximumParameters` parameters are kept (the rest are
/// read and dropped), each clamped to `maximumParameter`; a sequence with more than one
/// intermediate byte is read to its end and ignored; OSC, DCS, APC, PM and SOS strings are
/// skipped without being stored, up to BEL or ST (`ESC \`), however long they are. CAN and SUB
/// abandon a sequence, as on a VT100.
struct TerminalParser: Sendable {
    static let maximumParameters = 16
    static let maximumParameter = 9999

    enum State: Sendable {
        case ground, escape, escapeIntermediate, controlSequence, controlSequenceIgnore, string, stringEscape
    }

    private(set) var state = State.ground
    private var parameters: (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    /// Parameters seen in the sequence being read, up to `maximumParameters`.
    private(set) var parameterCount = 0
    /// The parameter digits go to: -1 before the first, `maximumParameters` past the last kept.
    private var currentParameter = -1
    private var marker: UInt8 = 0
    private var intermediate: UInt8 = 0
    private var tooManyIntermediates = false

    init() {}

    /// Parameter `index` of the last control sequence, or `defaultValue` when it was absent or 0
    /// (ECMA-48: a parameter of 0 means the default for most functions).
    func parameter(_ index: Int, default defaultValue: Int) -> Int {
        let value = rawParameter(index)
        return value == 0 ? defaultValue : value
    }

    /// Parameter `index` as written, 0 when absent.
    func rawParameter(_ index: Int) -> Int {
        guard index >= 0, index < parameterCount else { return 0 }
        return withUnsafeBytes(of: parameters) { $0.load(fromByteOffset: index * MemoryLayout<Int>.stride, as: Int.self) }
    }

    private mutating func setParameter(_ index: Int, _ value: Int) {
        withUnsafeMutableBytes(of: &parameters) { $0.storeBytes(of: value, toByteOffset: index * MemoryLayout<Int>.stride, as: Int.self) }
    }

    private mutating func openParameter(_ index: Int) {
        currentParameter = index
        if index < Self.maximumParameters {
            setParameter(index, 0)
            parameterCount = index + 1
        }
    }

    private mutating func beginSequence() {
        parameterCount = 0
        currentParameter = -1
        marker = 0
        intermediate = 0
        tooManyIntermediates = false
    }

    private mutating func collect(_ byte: UInt8) {
        if intermediate == 0 { intermediate = byte } else { tooManyIntermediates = true }
    }

    mutating func next(_ scalar: Unicode.Scalar) -> TerminalAction? {
        let value = scalar.value
        // Anywhere: CAN and SUB abandon what was being read; ESC starts afresh (inside a string
        // it may be the start of ST).
        if value == 0x18 || value == 0x1A {
            state = .ground
            return nil
        }
        if value == 0x1B {
            if state == .string {
                state = .stringEscape
            } else {
                state = .escape
                beginSequence()
            }
            return nil
        }
        switch state {
        case .ground:
            return ground(scalar)
        case .string:
            // BEL ends an OSC (xterm); C1 ST ends any string.
            if value == 0x07 || value == 0x9C { state = .ground }
            return nil
        case .stringEscape:
            // ESC \ is ST. An ESC followed by anything else ends the string and starts a sequence.
            if value == 0x5C {
                state = .ground
                return nil
            }
            state = .escape
            beginSequence()
            return escape(scalar)
        case .escape:
            return escape(scalar)
        case .escapeIntermediate:
            guard value < 0x80 else { return abandon(scalar) }
            let byte = UInt8(value)
            switch byte {
            case 0x00..<0x20: return .control(byte)
            case 0x20...0x2F:
                collect(byte)
                return nil
            case 0x30...0x7E:
                state = .ground
                return tooManyIntermediates ? nil : .escape(final: byte, intermediate: intermediate)
            default: return nil
            }
        case .controlSequence:
            return controlSequence(scalar)
        case .controlSequenceIgnore:
            guard value < 0x80 else { return abandon(scalar) }
            if (0x40...0x7E).contains(value) { state = .ground }
            if value < 0x20 { return .control(UInt8(value)) }
            return nil
        }
    }

    /// A non-ASCII character inside a sequence ends the sequence and is shown.
    private mutating func abandon(_ scalar: Unicode.Scalar) -> TerminalAction? {
        state = .ground
        return ground(scalar)
    }

    private func ground(_ scalar: Unicode.Scalar) -> TerminalAction? {
        let value = scalar.value
        if value < 0x20 { return .control(UInt8(value)) }
        // DEL and the C1 controls show nothing (in UTF-8, C1 are not used as controls here).
        if value == 0x7F || (0x80...0x9F).contains(value) { return nil }
        return .print(scalar)
    }

    private mutating func escape(_ scalar: Unicode.Scalar) -> TerminalAction? {
        let value = scalar.value
        guard value < 0x80 else { return abandon(scalar) }
        let byte = UInt8(value)
        switch byte {
        case 0x00..<0x20:
            return .control(byte)
        case 0x20...0x2F:
            collect(byte)
            state = .escapeIntermediate
            return nil
        case UInt8(ascii: "["):
            state = .controlSequence
            return nil
        case UInt8(ascii: "]"), UInt8(ascii: "P"), UInt8(ascii: "X"), UInt8(ascii: "^"), UInt8(ascii: "_"):
            state = .string
            return nil
        case 0x30...0x7E:
            state = .ground
            return .escape(final: byte, intermediate: 0)
        default:
            state = .ground
            return nil
        }
    }

    private mutating func controlSequence(_ scalar: Unicode.Scalar) -> TerminalAction? {
        let value = scalar.value
        guard value < 0x80 else { return abandon(scalar) }
        let byte = UInt8(value)
        switch byte {
        case 0x00..<0x20:
            return .control(byte)
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            guard intermediate == 0 else {
                state = .controlSequenceIgnore
                return nil
            }
            if currentParameter < 0 { openParameter(0) }
            if currentParameter < Self.maximumParameters {
                let current = rawParameter(currentParameter)
                setParameter(currentParameter, min(current * 10 + Int(byte - 0x30), Self.maximumParameter))
            }
            return nil
        case UInt8(ascii: ";"), UInt8(ascii: ":"):
            guard intermediate == 0 else {
                state = .controlSequenceIgnore
                return nil
            }
            // An empty parameter before the separator counts: it is a default.
            if currentParameter < 0 { openParameter(0) }
            openParameter(min(currentParameter + 1, Self.maximumParameters))
            return nil
        case 0x3C...0x3F:
            // A private marker is only valid first.
            guard parameterCount == 0, marker == 0, intermediate == 0 else {
                state = .controlSequenceIgnore
                return nil
            }
            marker = byte
            return nil
        case 0x20...0x2F:
            collect(byte)
            return nil
        case 0x40...0x7E:
            state = .ground
            return tooManyIntermediates ? nil : .controlSequence(final: byte, marker: marker, intermediate: intermediate)
        default:
            state = .ground
            return nil
        }
    }
}
