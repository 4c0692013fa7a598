import Glibc
import QwenSyncCore

/// Makes sure only one daemon serves a qwen directory: an `flock` on
/// `<qwen dir>/qwen-sync-daemon.lock` holding the daemon's pid. The kernel releases it when
/// the process dies, however it dies. Peers never look at this file (its name contains `.lock`).
public final class InstanceLock {
    private var descriptor: Int32
    private let path: String

    /// Takes the lock.
    ///
    /// - Throws: ``InstanceLockError/alreadyRunning(pid:qwenDirectory:)`` naming the running daemon.
    public init(qwenDirectory: String) throws(InstanceLockError) {
        path = qwenDirectory + "/qwen-sync-daemon.lock"
        descriptor = try Self.take(path)
    }

    deinit { close(descriptor) }

    /// Takes the lock again if its file was removed (the qwen directory was deleted and
    /// created again), so that a second daemon cannot start on the new directory.
    ///
    /// - Throws: ``InstanceLockError`` when another daemon took the new file first.
    public func reassert() throws(InstanceLockError) {
        var held = stat()
        var current = stat()
        guard fstat(descriptor, &held) == 0 else { return }
        if lstat(path, &current) == 0, current.st_ino == held.st_ino, current.st_dev == held.st_dev { return }
        let replacement = try Self.take(path)
        close(descriptor)
        descriptor = replacement
    }

    private static func take(_ path: String) throws(InstanceLockError) -> Int32 {
        let descriptor = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .file(FileError.system("cannot open", path: path)) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? SecureFile.read(path, limit: 64)).flatMap { $0 }
                .flatMap { Int32(String(decoding: $0.bytes, as: UTF8.self).trimmingASCIIWhitespace()) }
            close(descriptor)
            throw .alreadyRunning(pid: holder, qwenDirectory: PathNormalizer.directory(of: path))
        }
        ftruncate(descriptor, 0)
        let pid = Array("\(getpid())\n".utf8)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        return descriptor
    }
}

/// Another daemon already serves the qwen directory, or the lock file is unusable.
public enum InstanceLockError: Error, CustomStringConvertible {
    /// A daemon is running (its pid when readable) for the qwen directory.
    case alreadyRunning(pid: Int32?, qwenDirectory: String)
    /// The lock file cannot be opened.
    case file(FileError)

    public var description: String {
        switch self {
        case .alreadyRunning(let pid, let directory):
            "another qwen-sync daemon (pid \(pid.map(String.init) ?? "unknown")) already serves \(directory)"
        case .file(let error): error.description
        }
    }
}
