import Glibc
import QwenSyncCore

/// Sleeps that end early when the login is cancelled.
struct CancellableWait {
    /// How often ``shouldCancel`` is checked while waiting.
    static let slice = Duration.milliseconds(200)

    /// A descriptor that becomes readable to cancel, if any.
    let descriptor: Int32?
    /// The caller's cancellation check.
    let shouldCancel: () -> Bool

    /// Throws ``DeviceFlowError/cancelled`` when cancellation was requested.
    func check() throws(DeviceFlowError) {
        if shouldCancel() || descriptorReady(timeoutMilliseconds: 0) { throw .cancelled }
    }

    /// Waits until `instant`, checking for cancellation at least every ``slice``.
    ///
    /// - Throws: ``DeviceFlowError/cancelled`` as soon as cancellation is seen.
    func wait(until instant: ContinuousClock.Instant) throws(DeviceFlowError) {
        let clock = ContinuousClock()
        while true {
            try check()
            let left = instant - clock.now
            guard left > .zero else { return }
            let milliseconds = Int32(max(1, min(left, Self.slice).inMilliseconds))
            if descriptor != nil {
                if descriptorReady(timeoutMilliseconds: milliseconds) { throw .cancelled }
            } else {
                usleep(UInt32(milliseconds) * 1000)
            }
        }
    }

    /// Polls ``descriptor`` for readability; an interrupted poll (EINTR) counts as not ready.
    private func descriptorReady(timeoutMilliseconds: Int32) -> Bool {
        guard let descriptor else { return false }
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, timeoutMilliseconds) > 0 && entry.revents != 0
    }
}
