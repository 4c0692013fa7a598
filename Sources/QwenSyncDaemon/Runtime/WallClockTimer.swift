import CQwenLinux
import Glibc
import QwenSyncCore

/// A `timerfd` on `CLOCK_REALTIME`, armed at absolute wall-clock times with
/// `TFD_TIMER_CANCEL_ON_SET`: it becomes readable when the wall clock reaches the time armed,
/// and also when the clock is set (an NTP step, `date -s`) or the machine resumes, which a
/// `poll` timeout (monotonic, stopped during sleep) would miss (INTEROP.md §12).
final class WallClockTimer {
    /// The latest wall-clock time the kernel is asked to wait for: 31 Dec 9999. With nothing
    /// due the timer is armed there, so that a clock step still wakes the loop.
    static let farFutureMs: Int64 = 253_402_300_799_000

    /// Becomes readable when the timer expires or is cancelled.
    let descriptor: Int32
    private var armedAtMs: Int64?

    /// - Throws: ``DaemonError/startup(_:)`` when the kernel gives no timer (e.g. out of descriptors).
    init() throws(DaemonError) {
        descriptor = CQwenLinux_wallClockTimer()
        guard descriptor >= 0 else { throw .startup("cannot create a wall-clock timer (timerfd_create: \(String(cString: strerror(errno))))") }
    }

    deinit { close(descriptor) }

    /// Arms the timer at `atMs` (milliseconds since the epoch; `nil` is never).
    func arm(atMs: Int64?) {
        let at = min(atMs ?? Self.farFutureMs, Self.farFutureMs)
        guard at != armedAtMs else { return }
        if CQwenLinux_armWallClockTimer(descriptor, at) == 0 { armedAtMs = at } else { armedAtMs = nil }
    }

    /// Reads the expiry; returns whether the clock was set or the machine resumed meanwhile
    /// (`ECANCELED`) rather than the time armed being reached. Either way the timer must be
    /// armed again.
    func acknowledge() -> Bool {
        armedAtMs = nil
        var expirations: UInt64 = 0
        do {
            _ = try SystemCall.retrying { read(descriptor, &expirations, 8) }
            return false
        } catch {
            return error.code == ECANCELED
        }
    }
}
