import QwenSyncCore

/// Checks `condition` every 10 ms until it holds or `timeoutMs` passes.
///
/// - Parameters:
///   - timeoutMs: how long to keep checking.
///   - condition: what to wait for; an error it throws ends the wait.
/// - Returns: whether `condition` held before the deadline.
public func eventually(timeoutMs: Int64 = 5_000, _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = WallClock.monotonicMs() + timeoutMs
    while true {
        if try condition() { return true }
        if WallClock.monotonicMs() > deadline { return false }
        try? await Task.sleep(for: .milliseconds(10))
    }
}
