import Glibc

/// What identifies one version of a file: device, inode, size and modification time.
///
/// Two reads with equal identities saw the same file version; a rename over the path,
/// or any write, changes it.
public struct FileIdentity: Sendable, Hashable {
    /// The device number.
    public let device: UInt64
    /// The inode number.
    public let inode: UInt64
    /// The size in bytes.
    public let size: Int64
    /// The modification time in nanoseconds since the epoch.
    public let modificationTimeNs: Int64

    init(_ status: stat) {
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
        size = Int64(status.st_size)
        modificationTimeNs = Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)
    }

    /// The identity of whatever is at `path` now, without following a final symlink;
    /// `nil` when nothing is there.
    public static func of(_ path: String) -> FileIdentity? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        return FileIdentity(status)
    }

    /// The modification time in milliseconds since the epoch.
    public var modificationTimeMs: Int64 { modificationTimeNs / 1_000_000 }
}

/// The version of a file a compare-and-swap expects to replace
/// (``SecureFile/replace(_:with:expected:)``).
public enum ExpectedVersion: Sendable, Hashable {
    /// There is no file at the path.
    case absent
    /// The file at the path is still this version.
    case version(FileIdentity)

    /// The version a read found: `.absent` when it found no file (`identity` is `nil`).
    public static func matching(_ identity: FileIdentity?) -> ExpectedVersion {
        identity.map { .version($0) } ?? .absent
    }
}
