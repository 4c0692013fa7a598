import Glibc
import QwenSyncCore

/// The answer to the control socket's `status` command, built from what the daemon knows.
///
/// Fields (`docs/CLI.md`, "status"): `daemon {pid, version, uptime_s}`, `qwen_dir`, `active_account`,
/// `accounts [{id, label, identity, active, state, expires_at_ms, cooldown_until_ms,
/// next_refresh_at_ms, last_refresh {at_ms, result}}]`, `counters {syncs, refreshes,
/// refresh_failures}`, plus `locks`, `refresh_in_flight`, `last_event`,
/// `credentials_problem`, `sync_error` and `clock {last_jump_at_ms, kind, step_s, action}`
/// (the last resume or clock step, `null` before the first). Never a token.
struct DaemonStatusDocument {
    let settings: Settings
    let state: CredentialState?
    let schedule: RefreshSchedule
    let counters: DaemonCounters
    let startedMs: Int64
    let refreshingID: String?
    let lastEvent: (atMs: Int64, message: String)?
    /// Why syncing keeps failing, while it does (``DaemonCore/syncError``).
    let syncError: String?
    /// The last resume or clock step (``DaemonCore/lastClockEvent``).
    var clock: DaemonClockEvent? = nil

    func json(nowMs: Int64) -> JSONValue {
        let summaries: [JSONValue] =
            state.map { state in
                state.accounts.accounts.map { account in
                    var summary = AccountSummary(account, in: state, nowMs: nowMs)
                    summary.nextRefreshAtMs = schedule.dueTime(of: account, nowMs: nowMs)
                    return summary.json
                }
            } ?? []
        let locks: [JSONValue] = [settings.credentialsLockPath, settings.accountsLockPath].map { path in
            guard let lock = LockInspector.inspect(path) else { return ["path": .string(path), "held": false] }
            return .object(
                JSONObject([
                    ("path", .string(path)), ("held", true),
                    ("holder_pid", lock.holderPID.map { .int(Int64($0)) } ?? .null), ("age_ms", .int(lock.ageMs)),
                ]))
        }
        return .object(
            JSONObject([
                (
                    "daemon",
                    .object(
                        JSONObject([
                            ("pid", .int(Int64(getpid()))), ("version", .string(QwenSyncVersion.current)),
                            ("uptime_s", .int((nowMs - startedMs) / 1000)),
                        ]))
                ),
                ("qwen_dir", .string(settings.qwenDirectory)),
                ("active_account", .optionalString(state?.accounts.activeAccountID)),
                ("accounts", .array(summaries)),
                (
                    "counters",
                    .object(
                        JSONObject([
                            ("syncs", .int(Int64(counters.syncs))), ("refreshes", .int(Int64(counters.refreshes))),
                            ("refresh_failures", .int(Int64(counters.refreshFailures))),
                        ]))
                ),
                ("locks", .array(locks)),
                ("refresh_in_flight", .optionalString(refreshingID)),
                ("last_event", lastEvent.map { .object(JSONObject([("at_ms", .int($0.atMs)), ("message", .string($0.message))])) } ?? .null),
                ("credentials_problem", .optionalString(state?.credentialsProblem)),
                ("sync_error", .optionalString(syncError)),
                (
                    "clock",
                    clock.map { clock in
                        .object(
                            JSONObject([
                                ("last_jump_at_ms", .int(clock.atMs)), ("kind", .string(clock.kind.rawValue)), ("step_s", .int(clock.stepMs / 1000)),
                                ("action", .string(clock.action)),
                            ]))
                    } ?? .null
                ),
            ]))
    }
}
