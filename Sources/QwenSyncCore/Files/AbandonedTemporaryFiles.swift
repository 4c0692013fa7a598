import Glibc

/// Temporary files that a killed writer left behind.
///
/// ``SecureFile/replace(_:with:expected:)`` names its temporary file
/// `<file>.tmp.<pid>.<hex>`; when that process no longer exists, nobody will ever rename
/// the file into place, and it can go. Other programs' temporary files are left alone.
public enum AbandonedTemporaryFiles {
    /// Removes abandoned temporary files of `fileNames` in `directory`.
    ///
    /// - Returns: the names removed.
    @discardableResult
    public static func remove(in directory: String, for fileNames: [String]) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var removed: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let pid = writerPID(of: name, for: fileNames), kill(pid, 0) != 0, errno == ESRCH else { continue }
            if unlink(directory + "/" + name) == 0 { removed.append(name) }
        }
        return removed
    }

    /// The writer's pid when `name` is `<one of fileNames>.tmp.<pid>.<hex>`.
    static func writerPID(of name: String, for fileNames: [String]) -> pid_t? {
        for fileName in fileNames where name.hasPrefix(fileName + ".tmp.") {
            let parts = name.dropFirst(fileName.count + 5).split(separator: ".")
            guard parts.count == 2, let pid = pid_t(parts[0]), pid > 0,
                parts[1].allSatisfy(\.isHexDigit)
            else { return nil }
            return pid
        }
        return nil
    }
}
