import Glibc
import QwenSyncCore

/// Small raw file-system helpers for tests (no Foundation, so modes and mtimes are exact).
public enum FileTools {
    /// Writes `bytes` to `path` directly (truncating), with `mode`, bypassing SecureFile.
    public static func write(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o600) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw TestSupportError("open \(path): errno \(errno)") }
        defer { close(fd) }
        guard DescriptorOutput.writeAll(bytes, to: fd) else { throw TestSupportError("write \(path): errno \(errno)") }
        fchmod(fd, mode)
    }

    /// Writes `text` to `path`.
    public static func write(_ path: String, _ text: String, mode: mode_t = 0o600) throws {
        try write(path, Array(text.utf8), mode: mode)
    }

    /// The bytes at `path`, or `nil` when it cannot be opened.
    public static func bytes(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let got = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if got <= 0 { break }
            result.append(contentsOf: buffer[..<got])
        }
        return result
    }

    /// The text at `path`, or `nil`.
    public static func text(_ path: String) -> String? {
        bytes(path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// `lstat` of `path`.
    public static func status(_ path: String) -> stat? {
        var status = stat()
        return lstat(path, &status) == 0 ? status : nil
    }

    /// The permission bits of `path` (not following a final symlink).
    public static func mode(_ path: String) -> mode_t? {
        status(path).map { $0.st_mode & 0o7777 }
    }

    /// Whether `path` is a regular file (not following a final symlink).
    public static func isRegularFile(_ path: String) -> Bool {
        status(path).map { $0.st_mode & S_IFMT == S_IFREG } ?? false
    }

    /// Whether anything (even a dangling symlink) is at `path`.
    public static func exists(_ path: String) -> Bool { status(path) != nil }

    /// Sets the mtime (and atime) of `path` to `milliseconds` since the epoch.
    public static func setModificationTime(_ path: String, milliseconds: Int64) throws {
        let time = timespec(tv_sec: Int(milliseconds / 1000), tv_nsec: Int(milliseconds % 1000) * 1_000_000)
        var times = [time, time]
        guard utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw TestSupportError("utimensat \(path): errno \(errno)")
        }
    }

    /// Names in a directory, without `.` and `..`, sorted.
    public static func list(_ directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}
