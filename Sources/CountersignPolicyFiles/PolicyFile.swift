import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One file of a policy directory, as read: its path relative to the directory and its bytes.
struct PolicyFile: Hashable, Sendable {
    let name: String
    let bytes: [UInt8]
}

/// Reads the `.yaml` files of one folder of a policy directory, within the bounds that keep a
/// wrong path or a hostile file from exhausting the gateway: a count of files, a size per file,
/// and no symbolic link that leads outside the directory.
struct PolicyFileReader {
    let root: URL
    let maximumFiles: Int
    let maximumFileBytes: Int

    /// The files directly in `folder` (nil: the directory itself), sorted by name byte by byte
    /// so that every machine reads rules in the same order. Nil when the folder cannot be listed;
    /// an absent optional folder gives no files.
    func readFiles(in folder: String?, optional: Bool = false, log: inout DiagnosticLog) -> [PolicyFile]? {
        guard let rootPath = Self.realPath(root.path), Self.isDirectory(rootPath) else {
            log.error(.unreadable, at: .none, "policy directory \(root.path) does not exist or is not a directory")
            return nil
        }
        var folderPath = rootPath
        if let folder {
            let path = "\(rootPath)/\(folder)"
            guard Self.exists(path) else {
                if optional { return [] }
                log.error(.unreadable, at: .none, "folder \(folder) does not exist")
                return nil
            }
            guard let resolved = Self.realPath(path), Self.isInside(resolved, rootPath) || resolved == rootPath else {
                log.error(.symlinkEscape, at: .none, "folder \(folder) leads outside the policy directory")
                return nil
            }
            folderPath = resolved
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folderPath)
        } catch {
            log.error(.unreadable, at: .none, "cannot list \(folder ?? root.path): \(error.localizedDescription)")
            return nil
        }
        let prefix = folder.map { "\($0)/" } ?? ""
        let visible = names.filter { !$0.hasPrefix(".") }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for name in visible where name.hasSuffix(".yml") {
            log.warning(.ignoredFile, at: .none, "\(prefix)\(name) is not read: policy files end in .yaml")
        }
        let yamlNames = visible.filter { $0.hasSuffix(".yaml") }
        guard yamlNames.count <= maximumFiles else {
            log.error(.tooManyFiles, at: .none, "\(folder ?? "the policy directory") holds \(yamlNames.count) .yaml files; at most \(maximumFiles) are read")
            return nil
        }
        var files: [PolicyFile] = []
        for name in yamlNames {
            var fileLog = DiagnosticLog(file: prefix + name)
            if let bytes = readFile("\(folderPath)/\(name)", root: rootPath, maximumBytes: maximumFileBytes, log: &fileLog) {
                files.append(PolicyFile(name: prefix + name, bytes: bytes))
            }
            for entry in fileLog.entries { log.append(entry) }
        }
        return files
    }

    /// A file that a policy file names by a path relative to the directory (an attestation
    /// root): the same checks as for policy files, within `maximumBytes`, reported at `position`
    /// of the naming file with the path in each message.
    func readNamedFile(_ path: String, maximumBytes: Int, at position: SourcePosition, log: inout DiagnosticLog) -> [UInt8]? {
        guard let rootPath = Self.realPath(root.path) else {
            log.error(.unreadable, at: position, "\(path): the policy directory cannot be resolved")
            return nil
        }
        guard !path.isEmpty, !path.hasPrefix("/"), !path.hasPrefix("~"), !path.utf8.contains(0),
              !path.split(separator: "/").contains("..")
        else {
            log.error(.badValue, at: position, "'\(path)' must be a path inside the policy directory, relative to it, such as roots/vendor.pem")
            return nil
        }
        guard Self.exists("\(rootPath)/\(path)") else {
            log.error(.unreadable, at: position, "\(path) does not exist in the policy directory")
            return nil
        }
        return readFile("\(rootPath)/\(path)", root: rootPath, maximumBytes: maximumBytes, label: path, at: position, log: &log)
    }

    private func readFile(
        _ path: String, root rootPath: String, maximumBytes: Int, label: String? = nil, at position: SourcePosition = .none,
        log: inout DiagnosticLog
    ) -> [UInt8]? {
        func refuse(_ code: PolicyDiagnostic.Code, _ message: String) -> [UInt8]? {
            log.error(code, at: position, label.map { "\($0): \(message)" } ?? message)
            return nil
        }
        guard let resolved = Self.realPath(path) else {
            return refuse(.unreadable, "the file cannot be opened (a broken symbolic link?)")
        }
        guard Self.isInside(resolved, rootPath) else {
            return refuse(.symlinkEscape, "the file is a symbolic link that leads outside the policy directory; refused")
        }
        // Refuse devices and FIFOs before opening: reading one could block or never end.
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: resolved),
              attributes[.type] as? FileAttributeType == .typeRegular
        else {
            return refuse(.unreadable, "not a regular file; refused")
        }
        if let size = attributes[.size] as? NSNumber, size.intValue > maximumBytes {
            return refuse(.fileTooLarge, "the file is \(size.intValue) bytes; a policy file may be at most \(maximumBytes) bytes")
        }
        guard let handle = FileHandle(forReadingAtPath: resolved) else {
            return refuse(.unreadable, "the file cannot be opened for reading")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            // The size was checked above, but the file may have grown since: never read past the bound.
            data = try handle.read(upToCount: maximumBytes + 1) ?? Data()
        } catch {
            return refuse(.unreadable, "the file cannot be read: \(error.localizedDescription)")
        }
        guard data.count <= maximumBytes else {
            return refuse(.fileTooLarge, "the file is larger than \(maximumBytes) bytes, the most a policy file may be")
        }
        return Array(data)
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func isInside(_ path: String, _ directory: String) -> Bool {
        path.hasPrefix(directory.hasSuffix("/") ? directory : directory + "/")
    }

    private static func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
