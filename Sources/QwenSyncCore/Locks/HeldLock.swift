import Glibc

/// A lock file this process holds.
///
/// A background heartbeat refreshes the file's mtime every `heartbeatMs` so that peers do not
/// judge a slow holder stale. ``release()`` removes the file only if it is still ours; it is
/// also called on deinit as a last resort.
public final class HeldLock: @unchecked Sendable {
    /// The lock file's path.
    public let path: String
    /// The owner token written into the file.
    let token: String
    private let descriptor: Int32
    private let inode: UInt64
    private let heartbeat: Heartbeat

    init(path: String, token: String, descriptor: Int32, inode: UInt64, heartbeatMs: Int64) {
        self.path = path
        self.token = token
        self.descriptor = descriptor
        self.inode = inode
        heartbeat = Heartbeat(descriptor: descriptor, intervalMs: heartbeatMs)
    }

    deinit { release() }

    /// Whether the file at ``path`` is still the one we created, with our token.
    ///
    /// It is not when a peer judged it stale and removed it, or when a qwen process unlinked
    /// it on exit (every qwen process does that, held or not).
    public var isStillOurs: Bool {
        var status = stat()
        guard lstat(path, &status) == 0, UInt64(status.st_ino) == inode else { return false }
        guard let contents = try? SecureFile.read(path, limit: 256) else { return false }
        return contents.bytes.elementsEqual(token.utf8)
    }

    /// Stops the heartbeat and removes the lock file if it is still ours. Safe to call twice.
    public func release() {
        guard heartbeat.stop() else { return }
        if isStillOurs, let identity = FileIdentity.of(path) {
            LockFile.remove(path, ifStillVersion: identity)
        }
        close(descriptor)
    }
}

/// A thread that touches a lock file's mtime at an interval until stopped.
private final class Heartbeat: @unchecked Sendable {
    private let lock = ConditionLock()
    private var stopped = false
    private var thread: PosixThread?
    private let descriptor: Int32
    private let intervalMs: Int64

    init(descriptor: Int32, intervalMs: Int64) {
        self.descriptor = descriptor
        self.intervalMs = intervalMs
        thread = PosixThread.spawn { [self] in run() }
    }

    private func run() {
        lock.withLock {
            while !stopped {
                if !lock.wait(untilMonotonicMs: WallClock.monotonicMs() + intervalMs), !stopped {
                    futimens(descriptor, nil)
                }
            }
        }
    }

    /// Stops and joins the thread; `false` if it was already stopped.
    func stop() -> Bool {
        let wasRunning = lock.withLock {
            let wasRunning = !stopped
            stopped = true
            lock.signal()
            return wasRunning
        }
        if wasRunning, let thread { thread.join() }
        return wasRunning
    }
}
