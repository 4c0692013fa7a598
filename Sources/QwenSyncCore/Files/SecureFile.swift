import Glibc

/// Reading and replacing credential files so that no reader ever sees a partial file
/// and no secret is ever readable by another user.
public enum SecureFile {
    /// The largest credential or accounts file read (1 MiB); anything larger is refused.
    public static let defaultReadLimit = 1 << 20

    /// A file's bytes together with the identity of the version they came from.
    public struct Contents: Sendable, Equatable {
        /// The bytes read.
        public let bytes: [UInt8]
        /// The version read.
        public let identity: FileIdentity
    }

    /// Reads a regular file completely.
    ///
    /// Follows symlinks as other qwen clients do, but refuses anything that is not a regular
    /// file in the end (FIFOs and devices are opened non-blocking, so they cannot hang us).
    ///
    /// - Returns: the contents, or `nil` when the file does not exist. The identity is the
    ///   path's own (``FileIdentity/of(_:)``), the link's when `path` is a symlink.
    /// - Throws: ``FileError`` when it is not a regular file, larger than `limit`, or unreadable.
    public static func read(_ path: String, limit: Int = defaultReadLimit) throws(FileError) -> Contents? {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw FileError.system("cannot open", path: path)
        }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw FileError.system("cannot stat", path: path) }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw FileError(path: path, reason: "not a regular file (\(fileKind(status.st_mode)))")
        }
        guard Int(status.st_size) <= limit else {
            throw FileError(path: path, reason: "too large (\(status.st_size) bytes; the limit is \(limit))")
        }
        let bytes: [UInt8]
        do { bytes = try DescriptorInput.readAll(fd, limit: limit, expectedSize: Int(status.st_size)) } catch {
            switch error {
            case .tooLarge: throw FileError(path: path, reason: "too large (more than \(limit) bytes)")
            case .readFailed(let code): throw FileError.system("cannot read", path: path, errno: code)
            }
        }
        // The version is that of the path itself: for a symlink, the link (which a write
        // replaces), so that a later compare-and-swap against `FileIdentity.of(path)` agrees.
        var linkStatus = stat()
        if lstat(path, &linkStatus) == 0, linkStatus.st_mode & S_IFMT == S_IFLNK {
            return Contents(bytes: bytes, identity: FileIdentity(linkStatus))
        }
        return Contents(bytes: bytes, identity: FileIdentity(status))
    }

    /// Why a compare-and-swap ``replace(_:with:expected:)`` did not replace the file.
    public enum ReplaceError: Error, Sendable, Equatable, CustomStringConvertible {
        /// Another process replaced, created or removed the file since the version expected;
        /// nothing was written.
        case conflict(path: String)
        /// The file could not be written.
        case file(FileError)

        /// The error as a ``FileError``, for a caller that reports a conflict rather than retrying.
        public var fileError: FileError {
            switch self {
            case .conflict(let path): FileError(path: path, reason: "changed by another process while we held the lock")
            case .file(let error): error
            }
        }

        public var description: String { fileError.description }
    }

    /// Atomically replaces `path` with `bytes`, mode 0600 whatever the umask.
    ///
    /// Writes a temporary file in the same directory (`O_EXCL|O_NOFOLLOW`), fsyncs it, gives it
    /// a modification time strictly later than the file it replaces (qwen-code reloads only on a
    /// newer mtime), renames it over `path` and fsyncs the directory. A symlink at `path` is
    /// replaced by the file, never written through. Readers see the old or the new file, never
    /// a mix.
    ///
    /// - Throws: ``FileError`` when it cannot be written.
    public static func replace(_ path: String, with bytes: [UInt8]) throws(FileError) {
        _ = try write(path, bytes, ifStill: nil)
    }

    /// ``replace(_:with:)`` as a compare-and-swap: the replace happens only if the file at
    /// `path` is still the version `expected`.
    ///
    /// - Throws: ``ReplaceError/conflict(path:)`` when it is not (nothing is written then), or
    ///   ``ReplaceError/file(_:)`` when it cannot be written.
    public static func replace(_ path: String, with bytes: [UInt8], expected: ExpectedVersion) throws(ReplaceError) {
        let replaced: Bool
        do { replaced = try write(path, bytes, ifStill: expected) } catch { throw .file(error) }
        guard replaced else { throw .conflict(path: path) }
    }

    /// The replace itself; `false` when the file is no longer `expected` (nothing written), if given.
    private static func write(_ path: String, _ bytes: [UInt8], ifStill expected: ExpectedVersion?) throws(FileError) -> Bool {
        let directory = PathNormalizer.directory(of: path)
        let temporary = "\(path).tmp.\(getpid()).\(RandomHex.string(byteCount: 6))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileError.system("cannot create a temporary file", path: temporary) }
        var renamed = false
        defer { if !renamed { unlink(temporary) } }
        do {
            defer { close(fd) }
            guard fchmod(fd, 0o600) == 0 else { throw FileError.system("cannot set mode 0600", path: temporary) }
            try writeAll(fd, bytes, path: temporary)
            guard fsync(fd) == 0 else { throw FileError.system("cannot fsync", path: temporary) }
            let previous = FileIdentity.of(path)
            if let expected, expected != .matching(previous) { return false }
            try ensureLaterModificationTime(fd, than: previous, path: temporary)
        }
        guard rename(temporary, path) == 0 else { throw FileError.system("cannot rename into place", path: path) }
        renamed = true
        syncDirectory(directory)
        return true
    }

    /// Creates `path` (and missing parents) as a directory with mode 0700.
    ///
    /// - Returns: warnings, e.g. when an existing directory is readable by others.
    /// - Throws: ``FileError`` when it cannot be created, is not a directory, or is writable
    ///   by its group or by others (the message gives the `chmod go-w` that fixes it).
    @discardableResult
    public static func ensureDirectory(_ path: String) throws(FileError) -> [String] {
        var status = stat()
        if stat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFDIR else {
                throw FileError(path: path, reason: "exists but is not a directory")
            }
            let mode = status.st_mode & 0o777
            // Whoever can write here can replace the credentials (and plant their own):
            // refused, with the one change that fixes it and loosens nothing.
            guard mode & 0o022 == 0 else {
                let who = mode & 0o002 != 0 ? "every user" : "its group"
                throw FileError(
                    path: path, reason: "is writable by \(who) (mode \(String(mode, radix: 8))); refusing to keep tokens in it (fix: chmod go-w \(path))")
            }
            return mode & 0o077 == 0
                ? [] : ["\(path) has mode \(String(mode, radix: 8)); 700 is recommended (chmod 700 \(path))"]
        }
        let parent = PathNormalizer.directory(of: path)
        if parent != path, stat(parent, &status) != 0 { try ensureDirectory(parent) }
        guard mkdir(path, 0o700) == 0 || errno == EEXIST else { throw FileError.system("cannot create directory", path: path) }
        chmod(path, 0o700)
        return []
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(FileError) {
        guard DescriptorOutput.writeAll(bytes, to: fd) else { throw FileError.system("cannot write", path: path) }
    }

    /// Bumps the new file's mtime past the old one's by at least a millisecond when the clock
    /// has not moved on (two writes within the same tick).
    private static func ensureLaterModificationTime(_ fd: Int32, than previous: FileIdentity?, path: String) throws(FileError) {
        guard let previous else { return }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw FileError.system("cannot stat", path: path) }
        let current = FileIdentity(status).modificationTimeNs
        guard current < previous.modificationTimeNs + 1_000_000 else { return }
        let target = previous.modificationTimeNs + 1_000_000
        var times = [
            timespec(tv_sec: Int(target / 1_000_000_000), tv_nsec: Int(target % 1_000_000_000)),
            timespec(tv_sec: Int(target / 1_000_000_000), tv_nsec: Int(target % 1_000_000_000)),
        ]
        guard futimens(fd, &times) == 0 else { throw FileError.system("cannot set the modification time", path: path) }
    }

    /// fsyncs a directory so a rename in it survives a crash.
    static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    private static func fileKind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        default: "not a regular file"
        }
    }
}
