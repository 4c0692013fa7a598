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
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var stopped = false
    private var thread: pthread_t?
    private let descriptor: Int32
    private let intervalMs: Int64

    init(descriptor: Int32, intervalMs: Int64) {
        self.descriptor = descriptor
        self.intervalMs = intervalMs
        pthread_mutex_init(&mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(&condition, &attributes)
        pthread_condattr_destroy(&attributes)
        let unmanaged = Unmanaged.passRetained(self)
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, { argument in
            let heartbeat = Unmanaged<Heartbeat>.fromOpaque(argument!).takeRetainedValue()
            heartbeat.run()
            return nil
        }, unmanaged.toOpaque())
        if result == 0 { thread = handle } else { unmanaged.release() }
    }

    private func run() {
        pthread_mutex_lock(&mutex)
        while !stopped {
            var deadline = timespec()
            clock_gettime(CLOCK_MONOTONIC, &deadline)
            let total = Int64(deadline.tv_nsec) + intervalMs * 1_000_000
            deadline.tv_sec += Int(total / 1_000_000_000)
            deadline.tv_nsec = Int(total % 1_000_000_000)
            if pthread_cond_timedwait(&condition, &mutex, &deadline) == ETIMEDOUT, !stopped {
                futimens(descriptor, nil)
            }
        }
        pthread_mutex_unlock(&mutex)
    }

    /// Stops and joins the thread; `false` if it was already stopped.
    func stop() -> Bool {
        pthread_mutex_lock(&mutex)
        let wasRunning = !stopped
        stopped = true
        pthread_cond_signal(&condition)
        pthread_mutex_unlock(&mutex)
        if wasRunning, let thread { pthread_join(thread, nil) }
        return wasRunning
    }
}
