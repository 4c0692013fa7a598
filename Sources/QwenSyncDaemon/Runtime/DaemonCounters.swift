/// What the daemon has done since it started, for `status`.
public struct DaemonCounters: Sendable {
    /// Sync rounds that changed a file.
    public var syncs = 0
    /// Successful refreshes (network calls that returned new tokens).
    public var refreshes = 0
    /// Refresh attempts that failed.
    public var refreshFailures = 0
}
