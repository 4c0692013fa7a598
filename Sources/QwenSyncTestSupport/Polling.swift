import QwenSyncCore

/// Checks `condition` every 10 ms until it holds or `timeoutMs` passes.
///
/// The default deadline is generous on purpose: it bounds a wait for something that must happen,
/// and a busy machine running the suites in parallel can be slow to get there.
///
/// - Parameters:
///   - timeoutMs: how long to keep checking.
///   - condition: what to wait for; an error it throws ends the wait.
/// - Returns: whether `condition` held before the deadline.
public func eventually(timeoutMs: Int64 = 30_000, _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = WallClock.monotonicMs() + timeoutMs
    while true {
        if try condition() { return true }
        if WallClock.monotonicMs() > deadline { return false }
        try? await Task.sleep(for: .milliseconds(10))
    }
}
