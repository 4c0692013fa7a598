import Glibc

/// What can be told about a lock file from outside: who holds it and for how long.
public struct LockInspector: Sendable, Equatable {
    /// The lock file's path.
    public let path: String
    /// The holder's pid, when the content is in the plugin's `<pid>-<ms>-<hex>` form.
    public let holderPID: Int32?
    /// How old the lock is (time since its mtime), in milliseconds.
    public let ageMs: Int64

    /// The lock at `path`, or `nil` when nobody holds it.
    public static func inspect(_ path: String) -> LockInspector? {
        guard let identity = FileIdentity.of(path) else { return nil }
        let content = (try? SecureFile.read(path, limit: 256)).flatMap { $0 }.map { String(decoding: $0.bytes, as: UTF8.self) }
        let pid = content.flatMap { text in text.split(separator: "-").count == 3 ? Int32(text.split(separator: "-")[0]) : nil }
        return LockInspector(path: path, holderPID: pid, ageMs: max(0, WallClock.nowMs() - identity.modificationTimeMs))
    }

    /// "pid 1234, 3 s" or "unknown holder, 3 s".
    public var holderDescription: String {
        (holderPID.map { "pid \($0)" } ?? "an unknown process") + ", \(ageMs / 1000) s old"
    }
}
