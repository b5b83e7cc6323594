import CountersignCore
import Yams

/// authenticators.yaml, optional: which security keys may be enrolled.
///
/// ```yaml
/// authenticators:
///   attestation_roots: [roots/yubico-u2f-root.pem]   # PEM, relative to the policy directory
///   aaguids: ["cb69481e-8ff7-4039-93ec-0a2729a154a8"]
/// ```
///
/// With `attestation_roots`, a key is enrolled only if its attestation certificate chains to one
/// of them. `aaguids` narrows that to models, and needs roots: an AAGUID that no certificate from a
/// trusted root vouches for is only what the key says about itself.
struct AuthenticatorsFile: Sendable {
    static let name = "authenticators.yaml"
    static let maximumRootFileBytes = 64 * 1024

    var requirement = AuthenticatorRequirement.unrestricted
    /// The PEM files read, in the order named: part of the policy's fingerprint.
    var rootFiles: [PolicyFile] = []

    /// Nil when any part of the file is wrong (with diagnostics); root files read are kept so
    /// the errors can name them, but the requirement is then not to be used.
    static func parse(_ root: Node, reader: PolicyFileReader, log: inout DiagnosticLog) -> AuthenticatorsFile? {
        let errorsBefore = log.errorCount
        var file = AuthenticatorsFile()
        guard let top = log.fields(
            of: root, "authenticators.yaml", allowed: ["authenticators"], required: ["authenticators"],
            hints: ["rules": "rules belong in their own files (deploy.yaml, ssh.yaml)", "groups": "groups are defined in groups.yaml only"]
        ), let sectionNode = top.present("authenticators") else { return nil }
        guard let section = log.fields(
            of: sectionNode, "the authenticators section", allowed: ["attestation_roots", "aaguids"],
            hints: ["roots": "did you mean 'attestation_roots'?"]
        ) else { return nil }

        var roots: [AuthenticatorRequirement.Root] = []
        if let node = section.present("attestation_roots") {
            roots = readRoots(node, reader: reader, files: &file.rootFiles, log: &log) ?? []
        }
        var aaguids: Set<[UInt8]>?
        if let node = section.present("aaguids") {
            aaguids = readAAGUIDs(node, log: &log)
            if section.present("attestation_roots") == nil {
                log.error(.missingKey, at: section.keyPosition("aaguids"), "'aaguids' needs 'attestation_roots': without an attestation certificate chaining to a trusted root, a key's AAGUID is only its own claim")
            }
        }
        if section.present("attestation_roots") == nil && section.present("aaguids") == nil && log.errorCount == errorsBefore {
            log.warning(.emptyFile, at: section.position, "the authenticators section restricts nothing: any key whose registration verifies may be enrolled")
        }
        guard log.errorCount == errorsBefore else { return nil }
        do {
            file.requirement = try AuthenticatorRequirement(attestationRoots: roots, aaguids: aaguids)
        } catch {
            // The checks above mirror the core's; this is reached only if they drift apart.
            log.error(.badValue, at: section.position, error.message)
            return nil
        }
        return file
    }

    private static func readRoots(
        _ node: Node, reader: PolicyFileReader, files: inout [PolicyFile], log: inout DiagnosticLog
    ) -> [AuthenticatorRequirement.Root]? {
        guard let entries = log.textList(node, "attestation_roots") else { return nil }
        guard !entries.isEmpty else {
            log.error(.badValue, at: SourcePosition(of: node), "attestation_roots must name at least one PEM file; leave the key out to accept keys without attestation")
            return nil
        }
        var roots: [AuthenticatorRequirement.Root] = []
        var seen = Set<String>()
        for (path, position) in entries {
            guard seen.insert(path).inserted else {
                log.error(.badValue, at: position, "\(path) is listed twice in attestation_roots")
                continue
            }
            guard path.hasSuffix(".pem") else {
                log.error(.badValue, at: position, "'\(path)': attestation roots are PEM files, named *.pem")
                continue
            }
            guard let bytes = reader.readNamedFile(path, maximumBytes: maximumRootFileBytes, at: position, log: &log) else { continue }
            files.append(PolicyFile(name: path, bytes: bytes))
            do throws(PEMCertificates.Problem) {
                roots += try PEMCertificates.decode(bytes).map { AuthenticatorRequirement.Root(source: path, der: $0) }
            } catch {
                log.error(.badCertificate, at: position, "\(path): \(error.reason)")
            }
        }
        if roots.count > AuthenticatorRequirement.maximumRoots {
            log.error(.badValue, at: SourcePosition(of: node), "attestation_roots hold \(roots.count) certificates; at most \(AuthenticatorRequirement.maximumRoots) are trusted")
        }
        return roots
    }

    private static func readAAGUIDs(_ node: Node, log: inout DiagnosticLog) -> Set<[UInt8]>? {
        guard let entries = log.textList(node, "aaguids") else { return nil }
        guard !entries.isEmpty else {
            log.error(.badValue, at: SourcePosition(of: node), "aaguids must list at least one AAGUID; leave the key out to accept any model under the roots")
            return nil
        }
        guard entries.count <= AuthenticatorRequirement.maximumAAGUIDs else {
            log.error(.badValue, at: SourcePosition(of: node), "aaguids lists \(entries.count) models; at most \(AuthenticatorRequirement.maximumAAGUIDs) are read")
            return nil
        }
        var aaguids = Set<[UInt8]>()
        for (text, position) in entries {
            guard let aaguid = AAGUIDText.bytes(text) else {
                log.error(.badAAGUID, at: position, "'\(text)' is not an AAGUID: 32 hex digits grouped 8-4-4-4-12, such as cb69481e-8ff7-4039-93ec-0a2729a154a8")
                continue
            }
            guard aaguid.contains(where: { $0 != 0 }) else {
                log.error(.badAAGUID, at: position, "the all-zero AAGUID names no model (keys without one send it); it cannot be allowed by model")
                continue
            }
            if !aaguids.insert(aaguid).inserted {
                log.warning(.badAAGUID, at: position, "AAGUID \(text) is listed twice")
            }
        }
        return aaguids
    }
}
