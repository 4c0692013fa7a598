import Glibc

/// Makes paths absolute and removes `.` and `..` segments without touching the file system.
public enum PathNormalizer {
    /// `path` made absolute against the working directory, with `.`/`..`/`//` resolved lexically.
    public static func absolute(_ path: String) -> String {
        if isNormalAbsolute(path) { return path }
        var full = path
        if !path.hasPrefix("/") {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let cwd = getcwd(&buffer, buffer.count).map { String(cString: $0) } ?? "/"
            full = cwd + "/" + path
        }
        var parts: [Substring] = []
        for part in full.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": _ = parts.popLast()
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Whether `path` is absolute and has no empty, `.` or `..` segment and no trailing `/`:
    /// what ``absolute(_:)`` would return unchanged (found without the splitting and joining,
    /// which cost a short command more than the rest of its path handling).
    private static func isNormalAbsolute(_ path: String) -> Bool {
        var utf8 = path.utf8.makeIterator()
        guard utf8.next() == UInt8(ascii: "/") else { return false }
        // The length of the current segment, and whether it is all dots so far.
        var length = 0
        var dots = true
        while let byte = utf8.next() {
            if byte == UInt8(ascii: "/") {
                if length == 0 || (dots && length <= 2) { return false }
                length = 0
                dots = true
            } else {
                length += 1
                dots = dots && byte == UInt8(ascii: ".")
            }
        }
        return path == "/" || !(length == 0 || (dots && length <= 2))
    }

    /// The directory part of an absolute path (`/a/b` → `/a`).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The last path component (`/a/b` → `b`).
    public static func fileName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}
