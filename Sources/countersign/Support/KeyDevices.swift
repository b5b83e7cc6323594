import Foundation

/// The security keys plugged in, as libfido2's `fido2-token -L` lists them (fido2-token(1)): one
/// a line, `DEVICE: vendor=0x…, product=0x… (maker product)`, with DEVICE a path such as
/// /dev/hidraw3 (or, in newer versions, a URL such as pcsc://slot0).
enum KeyDevices {
    static let program = "fido2-token"
    static let outputLimit = 64 * 1024
    static let maximumDevices = 16

    static func listed() throws(KeyTouchProblem) -> [String] {
        let run: ProgramRun
        do {
            run = try ProgramRun.run([program, "-L"], input: [], timeout: 15, outputLimit: outputLimit)
        } catch {
            switch error {
            case .missing(let program): throw .programMissing(program)
            case .cannotStart(let program, let reason): throw .programUnstartable(program, reason: reason)
            case .timedOut(let program): throw .timedOut(program: program, seconds: 15)
            }
        }
        guard run.status == 0 else {
            throw .failed(program: "\(program) -L", said: AuthenticatorProgram.said(run.error, status: run.status))
        }
        let devices = parse(String(decoding: run.output, as: UTF8.self))
        guard !devices.isEmpty else { throw .noDevice }
        return devices
    }

    /// Each line's device, up to its first ": "; a line without one names no device.
    static func parse(_ listing: String) -> [String] {
        let devices = listing.split(whereSeparator: \.isNewline).compactMap { line -> String? in
            guard let end = line.range(of: ": ") else { return nil }
            let device = String(line[..<end.lowerBound])
            guard !device.isEmpty, device.utf8.count <= 1024, device.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else { return nil }
            return device
        }
        return Array(devices.prefix(maximumDevices))
    }
}
