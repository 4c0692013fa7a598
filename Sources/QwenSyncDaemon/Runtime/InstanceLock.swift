import Glibc
import QwenSyncCore

/// Makes sure only one daemon serves a qwen directory: an `flock` on the directory itself,
/// which no deletion can undo, and one on `<qwen dir>/qwen-sync-daemon.lock`, which holds the
/// daemon's pid for the message a second daemon prints. The kernel releases both when the
/// process dies, however it dies. Peers never look at either (the file's name contains
/// `.lock`; they lock files, not directories).
public final class InstanceLock {
    private var directoryDescriptor: Int32
    private var descriptor: Int32
    private let directory: String
    private var path: String { directory + "/" + Self.fileName }
    private static let fileName = "qwen-sync-daemon.lock"

    /// Takes the lock.
    ///
    /// - Throws: ``InstanceLockError/alreadyRunning(pid:qwenDirectory:)`` naming the running daemon.
    public init(qwenDirectory: String) throws(InstanceLockError) {
        directory = qwenDirectory
        (directoryDescriptor, descriptor) = try Self.take(qwenDirectory)
    }

    deinit {
        close(descriptor)
        close(directoryDescriptor)
    }

    /// Takes the lock again if the directory was deleted and created again (a new directory
    /// is not locked by the old one's descriptor), so that a second daemon cannot start on
    /// it; writes the pid file again if only it was removed.
    ///
    /// - Throws: ``InstanceLockError`` when another daemon took the new directory first.
    public func reassert() throws(InstanceLockError) {
        if !Self.same(directoryDescriptor, directory) {
            let (newDirectory, newFile) = try Self.take(directory)
            close(descriptor)
            close(directoryDescriptor)
            (directoryDescriptor, descriptor) = (newDirectory, newFile)
        } else if !Self.same(descriptor, path) {
            let replacement = try Self.lockPIDFile(path, in: directory)
            close(descriptor)
            descriptor = replacement
        }
    }

    /// Whether `path` is still the file `descriptor` has open.
    private static func same(_ descriptor: Int32, _ path: String) -> Bool {
        var held = stat()
        var current = stat()
        guard fstat(descriptor, &held) == 0 else { return true }
        return stat(path, &current) == 0 && current.st_ino == held.st_ino && current.st_dev == held.st_dev
    }

    private static func take(_ directory: String) throws(InstanceLockError) -> (directory: Int32, file: Int32) {
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryDescriptor >= 0 else { throw .file(FileError.system("cannot open", path: directory)) }
        guard flock(directoryDescriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(directoryDescriptor)
            throw .alreadyRunning(pid: runningPID(directory + "/" + fileName), qwenDirectory: directory)
        }
        do { return (directoryDescriptor, try lockPIDFile(directory + "/" + fileName, in: directory)) } catch {
            close(directoryDescriptor)
            throw error
        }
    }

    /// Opens, locks and fills the pid file.
    private static func lockPIDFile(_ path: String, in directory: String) throws(InstanceLockError) -> Int32 {
        let descriptor = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .file(FileError.system("cannot open", path: path)) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw .alreadyRunning(pid: runningPID(path), qwenDirectory: directory)
        }
        ftruncate(descriptor, 0)
        let pid = Array("\(getpid())\n".utf8)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        return descriptor
    }

    /// The pid the running daemon wrote, when its file is still there.
    private static func runningPID(_ path: String) -> Int32? {
        (try? SecureFile.read(path, limit: 64)).flatMap { $0 }
            .flatMap { Int32(String(decoding: $0.bytes, as: UTF8.self).trimmingASCIIWhitespace()) }
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
