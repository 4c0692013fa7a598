import Glibc

/// Milliseconds on `CLOCK_MONOTONIC`, for deadlines that wall-clock changes cannot move.
public func monotonicMs() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
}

/// Checks `condition` every 10 ms until it holds or `timeoutMs` passes.
///
/// - Parameters:
///   - timeoutMs: how long to keep checking.
///   - condition: what to wait for; an error it throws ends the wait.
/// - Returns: whether `condition` held before the deadline.
public func eventually(timeoutMs: Int64 = 5_000, _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = monotonicMs() + timeoutMs
    while true {
        if try condition() { return true }
        if monotonicMs() > deadline { return false }
        try? await Task.sleep(for: .milliseconds(10))
    }
}
