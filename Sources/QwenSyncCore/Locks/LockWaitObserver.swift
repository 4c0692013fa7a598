import Synchronization

/// What a process waiting for a busy lock can tell about the wait.
public struct LockWait: Sendable {
    /// The lock file's path.
    public let path: String
    /// How long this process has been waiting.
    public let waited: Duration
    /// The holder as seen from the file (pid when the content names it, age); `nil` when the
    /// file vanished just now.
    public let holder: LockInspector?

    /// "waiting for oauth_creds.lock held by pid 1234 for 4 s" (the pid when the lock names
    /// it, "another process" otherwise).
    public var description: String {
        let who = holder?.holderPID.map { "pid \($0)" } ?? "another process"
        return "waiting for \(PathNormalizer.fileName(of: path)) held by \(who) for \(waited.inMilliseconds / 1000) s"
    }
}

/// Hears about long waits for a busy lock: once after ``firstAfter``, then every ``every``.
///
/// Called on the waiting thread, between two looks at the lock; keep it short.
public struct LockWaitObserver: Sendable {
    /// The first report comes after this much waiting.
    public var firstAfter: Duration
    /// Later reports come this often.
    public var every: Duration
    /// Receives each report.
    public var report: @Sendable (LockWait) -> Void

    /// An observer reporting after `firstAfter`, then every `every` (at least 1 ms), to `report`.
    public init(firstAfter: Duration = .seconds(1), every: Duration = .seconds(3), report: @escaping @Sendable (LockWait) -> Void) {
        self.firstAfter = firstAfter
        self.every = max(.milliseconds(1), every)
        self.report = report
    }

    /// The observer used by locks whose ``LockPolicy/waitObserver`` is `nil`; none at first.
    ///
    /// For a process (the CLI) whose commands build their stores in many places: set it once
    /// at start instead of on every policy.
    public static var processDefault: LockWaitObserver? {
        get { installed.withLock { $0 } }
        set { installed.withLock { $0 = newValue } }
    }

    private static let installed = Mutex<LockWaitObserver?>(nil)
}
