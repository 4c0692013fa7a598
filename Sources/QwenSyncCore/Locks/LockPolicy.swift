import Glibc

/// How a lock file is taken, judged stale and kept fresh.
///
/// The defaults follow the peers (`docs/INTEROP.md`, "Lock files") and wait a little longer than they do,
/// so qwen-sync never gives up before them.
public struct LockPolicy: Sendable {
    /// A lock whose mtime is older than this is abandoned and may be taken over.
    public var staleAfter: Duration
    /// A waiter wakes at once when the lock file is deleted (inotify); it also looks again
    /// after this long, in case the deletion went unseen (a network file system) or the lock
    /// went stale without being deleted…
    public var initialDelay = Duration.milliseconds(100)
    /// …each look this many times later than the previous one…
    public var backoffFactor: Double = 1.5
    /// …but never more than this apart.
    public var maxDelay = Duration.seconds(2)
    /// Give up after waiting this long in total.
    public var maxWait: Duration
    /// While held, the lock's mtime is refreshed this often, so that no peer judges it stale.
    public var heartbeat: Duration
    /// What the lock file contains: qwen-code's bare UUID or the plugin's `<pid>-<ms>-<hex>`.
    public var content: LockContentStyle
    /// Hears about long waits; `nil` uses ``LockWaitObserver/processDefault``.
    public var waitObserver: LockWaitObserver?

    /// `oauth_creds.lock`: qwen-code's 10 s staleness; we wait up to 35 s (qwen-code gives up after ≈ 29 s).
    public static let credentials = LockPolicy(staleAfter: .seconds(10), maxWait: .seconds(35), heartbeat: .seconds(2), content: .uuid)
    /// `oauth_accounts.lock`: the plugin's 30 s staleness; we wait up to 40 s.
    public static let accounts = LockPolicy(staleAfter: .seconds(30), maxWait: .seconds(40), heartbeat: .seconds(5), content: .processTimeHex)

    /// A policy with these limits.
    public init(staleAfter: Duration, maxWait: Duration, heartbeat: Duration, content: LockContentStyle) {
        self.staleAfter = staleAfter
        self.maxWait = maxWait
        self.heartbeat = heartbeat
        self.content = content
    }
}

/// The text a lock file holds, which identifies its owner.
public enum LockContentStyle: Sendable, Equatable {
    /// A random UUID, 36 bytes, no newline (qwen-code).
    case uuid
    /// `<pid>-<ms>-<hex>` (the accounts plugin), which also tells `status` who holds it.
    case processTimeHex

    /// A fresh owner token in this style.
    func makeToken() -> String {
        switch self {
        case .uuid: RandomHex.uuid()
        case .processTimeHex: "\(getpid())-\(WallClock.nowMs())-\(RandomHex.string(byteCount: 8))"
        }
    }
}
