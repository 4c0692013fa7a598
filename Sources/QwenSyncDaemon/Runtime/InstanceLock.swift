import Glibc
import QwenSyncCore

/// Makes sure only one daemon serves a qwen directory: an `flock` on
/// `<qwen dir>/qwen-sync-daemon.lock` holding the daemon's pid. The kernel releases it when
/// the process dies, however it dies. Peers never look at this file (its name contains `.lock`).
public final class InstanceLock {
    private let descriptor: Int32

    /// Takes the lock.
    ///
    /// - Throws: ``InstanceLockError/alreadyRunning(pid:)`` naming the running daemon.
    public init(qwenDirectory: String) throws(InstanceLockError) {
        let path = qwenDirectory + "/qwen-sync-daemon.lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .file(FileError.system("cannot open", path: path)) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? SecureFile.read(path, limit: 64)).flatMap { $0 }
                .flatMap { Int32(String(decoding: $0.bytes, as: UTF8.self).trimmingWhitespace) }
            close(descriptor)
            throw .alreadyRunning(pid: holder)
        }
        ftruncate(descriptor, 0)
        let pid = Array("\(getpid())\n".utf8)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }
}

/// Another daemon already serves the qwen directory, or the lock file is unusable.
public enum InstanceLockError: Error, CustomStringConvertible {
    /// A daemon is running (its pid when readable).
    case alreadyRunning(pid: Int32?)
    /// The lock file cannot be opened.
    case file(FileError)

    public var description: String {
        switch self {
        case .alreadyRunning(let pid): "another qwen-sync daemon (pid \(pid.map(String.init) ?? "unknown")) already serves this qwen directory"
        case .file(let error): error.description
        }
    }
}

extension String {
    /// The string without leading and trailing spaces and newlines.
    var trimmingWhitespace: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
