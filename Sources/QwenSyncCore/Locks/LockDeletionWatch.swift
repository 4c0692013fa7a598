import Glibc

/// Wakes a lock waiter as soon as the lock file's name leaves its directory.
///
/// An inotify watch on the lock's directory for `IN_DELETE` and `IN_MOVED_FROM`, filtered to
/// the lock's file name: the holder's `unlink` (or a stale takeover's rename aside) ends the
/// wait at once instead of after a sleep. Create the watch *before* the next `O_EXCL` attempt,
/// so a deletion between a failed attempt and the wait is never missed.
final class LockDeletionWatch {
    private let descriptor: Int32
    private let name: String

    /// A watch for `path`'s name in its directory, or `nil` when inotify is not available
    /// (too many instances, or a directory it cannot watch); the caller then polls.
    init?(path: String) {
        let directory = PathNormalizer.directory(of: path)
        name = PathNormalizer.fileName(of: path)
        descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else { return nil }
        let mask = UInt32(IN_DELETE) | UInt32(IN_MOVED_FROM) | UInt32(IN_ONLYDIR)
        guard inotify_add_watch(descriptor, directory, mask) >= 0 else {
            close(descriptor)
            return nil
        }
    }

    deinit { close(descriptor) }

    /// Waits up to `timeoutMs` for the lock's name to be deleted or moved away.
    ///
    /// - Returns: `true` when it was (or the event queue overflowed, so it may have been),
    ///   `false` when the time ran out first.
    func waitForDeletion(timeoutMs: Int64) -> Bool {
        let deadline = WallClock.monotonicMs() + max(0, timeoutMs)
        while true {
            if drainSawLockName() { return true }
            guard deadline > WallClock.monotonicMs() else { return false }
            var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            // The time left is worked out again when a signal interrupted the wait.
            let ready = try? SystemCall.retrying { poll(&request, 1, Int32(clamping: max(0, deadline - WallClock.monotonicMs()))) }
            if ready == nil { return false }
        }
    }

    /// Reads every queued event; whether one named the lock (or the queue overflowed).
    private func drainSawLockName() -> Bool {
        var seen = false
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { return seen }
            buffer.withUnsafeBytes { raw in
                var offset = 0
                while offset + MemoryLayout<inotify_event>.size <= count {
                    let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    let nameStart = offset + MemoryLayout<inotify_event>.size
                    let nameBytes = raw[nameStart..<min(count, nameStart + Int(event.len))].prefix { $0 != 0 }
                    if event.mask & UInt32(IN_Q_OVERFLOW) != 0 || nameBytes.elementsEqual(name.utf8) { seen = true }
                    offset = nameStart + Int(event.len)
                }
            }
        }
    }
}
