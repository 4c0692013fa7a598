import Glibc
import QwenControl
import QwenSyncCore

/// Builds the answer to the control socket's `status` request (``DaemonStatus``, which owns
/// the keys) from what the daemon knows. Never a token.
struct DaemonStatusDocument {
    let settings: Settings
    let state: CredentialState?
    let schedule: RefreshSchedule
    let counters: DaemonCounters
    let startedMs: Int64
    let refreshingID: String?
    let lastEvent: (atMs: Int64, message: String)?
    /// Writing the files keeps failing (since when, the latest reason).
    var syncError: DaemonStatus.SyncError? = nil
    /// The last clock jump or resume and what was done about it.
    var clock: DaemonStatus.ClockJump? = nil

    func status(nowMs: Int64) -> DaemonStatus {
        let accounts: [DaemonStatus.Account] =
            state.map { state in
                state.accounts.accounts.map { account in
                    var summary = AccountSummary(account, in: state, nowMs: nowMs)
                    summary.nextRefreshAtMs = schedule.dueTime(of: account, nowMs: nowMs)
                    return DaemonStatus.Account(summary)
                }
            } ?? []
        let locks = [settings.credentialsLockPath, settings.accountsLockPath].map { path in
            DaemonStatus.Lock(
                path: path, holder: LockInspector.inspect(path).map { .init(pid: $0.holderPID.map { Int64($0) }, ageMs: $0.ageMs) })
        }
        return DaemonStatus(
            daemon: .init(pid: Int64(getpid()), version: QwenSyncVersion.current, uptimeSeconds: (nowMs - startedMs) / 1000),
            qwenDirectory: settings.qwenDirectory,
            activeAccount: state?.accounts.activeAccountID,
            accounts: accounts,
            counters: .init(syncs: Int64(counters.syncs), refreshes: Int64(counters.refreshes), refreshFailures: Int64(counters.refreshFailures)),
            locks: locks,
            refreshInFlight: refreshingID,
            lastEvent: lastEvent.map { .init(atMs: $0.atMs, message: $0.message) },
            credentialsProblem: state?.credentialsProblem,
            syncError: syncError,
            clock: clock
        )
    }

    func json(nowMs: Int64) -> JSONValue { status(nowMs: nowMs).json }
}

/// What the daemon has done since it started, for `status`.
public struct DaemonCounters: Sendable {
    /// Sync rounds that changed a file.
    public var syncs = 0
    /// Successful refreshes (network calls that returned new tokens).
    public var refreshes = 0
    /// Refresh attempts that failed.
    public var refreshFailures = 0
}
