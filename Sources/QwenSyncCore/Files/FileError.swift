import Glibc

/// A file could not be read or written; the message names the file and the reason,
/// never its contents.
public struct FileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file concerned.
    public let path: String
    /// What went wrong, in words.
    public let reason: String
    /// The `errno` behind it, when there was one.
    public let code: Int32?

    /// Creates an error for `path`.
    public init(path: String, reason: String, code: Int32? = nil) {
        self.path = path
        self.reason = reason
        self.code = code
    }

    /// An error from the current `errno` after `operation` failed.
    public static func system(_ operation: String, path: String, errno code: Int32 = errno) -> FileError {
        let reason: String
        switch code {
        case ELOOP: reason = "\(operation): too many levels of symbolic links (a symlink loop?)"
        case EACCES, EPERM: reason = "\(operation): permission denied"
        case ENOSPC: reason = "\(operation): no space left on the device"
        case ENOENT: reason = "\(operation): no such file or directory"
        default: reason = "\(operation): \(String(cString: strerror(code)))"
        }
        return FileError(path: path, reason: reason, code: code)
    }

    public var description: String { "\(path): \(reason)" }
}
