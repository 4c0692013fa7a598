import Glibc

/// Reading a symbolic link; the one `readlink(2)` call of the project.
public enum SymbolicLink {
    /// The target `path` names, as stored in the link (relative targets stay relative), or
    /// `nil` when `path` is not a symbolic link or cannot be read.
    public static func target(of path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink(path, &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
