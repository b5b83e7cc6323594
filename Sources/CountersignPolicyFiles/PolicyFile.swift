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
            if let bytes = readFile("\(folderPath)/\(name)", root: rootPath, log: &fileLog) {
                files.append(PolicyFile(name: prefix + name, bytes: bytes))
            }
            for entry in fileLog.entries { log.append(entry) }
        }
        return files
    }

    private func readFile(_ path: String, root rootPath: String, log: inout DiagnosticLog) -> [UInt8]? {
        guard let resolved = Self.realPath(path) else {
            log.error(.unreadable, at: .none, "the file cannot be opened (a broken symbolic link?)")
            return nil
        }
        guard Self.isInside(resolved, rootPath) else {
            log.error(.symlinkEscape, at: .none, "the file is a symbolic link that leads outside the policy directory; refused")
            return nil
        }
        // Refuse devices and FIFOs before opening: reading one could block or never end.
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: resolved),
              attributes[.type] as? FileAttributeType == .typeRegular
        else {
            log.error(.unreadable, at: .none, "not a regular file; refused")
            return nil
        }
        if let size = attributes[.size] as? NSNumber, size.intValue > maximumFileBytes {
            log.error(.fileTooLarge, at: .none, "the file is \(size.intValue) bytes; a policy file may be at most \(maximumFileBytes) bytes")
            return nil
        }
        guard let handle = FileHandle(forReadingAtPath: resolved) else {
            log.error(.unreadable, at: .none, "the file cannot be opened for reading")
            return nil
        }
        defer { try? handle.close() }
        let data: Data
        do {
            // The size was checked above, but the file may have grown since: never read past the bound.
            data = try handle.read(upToCount: maximumFileBytes + 1) ?? Data()
        } catch {
            log.error(.unreadable, at: .none, "the file cannot be read: \(error.localizedDescription)")
            return nil
        }
        guard data.count <= maximumFileBytes else {
            log.error(.fileTooLarge, at: .none, "the file is larger than \(maximumFileBytes) bytes, the most a policy file may be")
            return nil
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
