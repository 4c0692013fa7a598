import Glibc

/// Milliseconds on `CLOCK_MONOTONIC`, for poll intervals and device-code lifetimes.
enum MonotonicClock {
    /// The current monotonic time in milliseconds.
    static func milliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
