import Glibc

/// Wall-clock and monotonic time in the units the qwen files use; the one clock of the project.
public enum WallClock {
    /// Milliseconds since the Unix epoch (the unit of `expiry_date`).
    public static func nowMs() -> Int64 {
        let now = read(CLOCK_REALTIME)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }

    /// Monotonic milliseconds, for timeouts and intervals that wall-clock changes cannot move.
    public static func monotonicMs() -> Int64 {
        let now = read(CLOCK_MONOTONIC)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }

    /// Monotonic microseconds (the unit of systemd's `MONOTONIC_USEC=`).
    public static func monotonicUs() -> UInt64 {
        let now = read(CLOCK_MONOTONIC)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }

    /// Sleeps for `milliseconds` (resumes after signals).
    public static func sleep(milliseconds: Int64) {
        guard milliseconds > 0 else { return }
        var request = timespec(tv_sec: Int(milliseconds / 1000), tv_nsec: Int(milliseconds % 1000) * 1_000_000)
        var remaining = timespec()
        _ = try? SystemCall.retrying {
            let result = nanosleep(&request, &remaining)
            if result != 0 { request = remaining }  // interrupted: sleep what is left
            return result
        }
    }

    private static func read(_ clock: clockid_t) -> timespec {
        var now = timespec()
        let result = clock_gettime(clock, &now)
        precondition(result == 0, "clock_gettime failed: errno \(errno)")
        return now
    }
}

extension Duration {
    /// The span in whole milliseconds, rounded toward negative infinity and saturating at
    /// `Int64`'s bounds: the one conversion from a `Duration` to the milliseconds the files,
    /// the kernel's timeouts and the daemon core count in. The way back is the standard
    /// library's exact `Duration.milliseconds(_:)`.
    public var inMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let fraction = attoseconds / 1_000_000_000_000_000 - (attoseconds % 1_000_000_000_000_000 < 0 ? 1 : 0)
        return seconds.multipliedSaturated(by: 1000).addingSaturated(fraction)
    }
}
