import Logging
import QwenControl
import QwenOAuth
import QwenSyncCore

/// The wall clock and the monotonic clock, read at one instant by the loop.
struct DaemonInstant: Sendable, Equatable {
    /// Milliseconds since the Unix epoch (the unit of `expiry_date`); jumps when the clock is set.
    var wallMs: Int64
    /// Monotonic milliseconds: never set, and stopped while the machine sleeps.
    var monotonicMs: Int64

    /// Both clocks, now.
    static func now() -> DaemonInstant { DaemonInstant(wallMs: WallClock.nowMs(), monotonicMs: WallClock.monotonicMs()) }
}

/// What happened, as the loop tells ``DaemonCore``.
enum DaemonEvent: Sendable {
    /// The daemon serves; systemd wants a watchdog ping this often, if at all.
    case started(watchdogIntervalMs: Int64?)
    /// The watcher saw these files change.
    case filesChanged(SyncTrigger)
    /// SIGHUP: rescan everything.
    case reload
    /// SIGTERM or SIGINT.
    case stop
    /// A control client connected.
    case controlRequest
    /// A wake-up armed by ``DaemonAction/arm(wallMs:monotonicMs:)`` came due.
    case timerFired
    /// The wall clock was set or the machine resumed (the wall-clock timer was cancelled).
    case clockChanged
    /// The machine is about to sleep (logind's `PrepareForSleep(true)`): nothing new starts
    /// until it has resumed.
    case suspending
    /// The machine woke up (logind's `PrepareForSleep(false)`).
    case resumed
    /// The network came back: retry failed refreshes now rather than after their back-off.
    case networkReturned
    /// ``DaemonAction/readFiles(_:inline:)``: the qwen directory (this path) is gone.
    case directoryMissing(String)
    /// ``DaemonAction/readFiles(_:inline:)``: the files as read.
    case filesRead(CredentialState)
    /// ``DaemonAction/readFiles(_:inline:)``: the files could not be read.
    case readFailed(String)
    /// ``DaemonAction/write(_:remembered:inline:)``: a peer holds a lock, so the transaction
    /// waits for it on the worker.
    case writeQueued
    /// A sync transaction or a refresh ended (on the loop or on the worker).
    case finished(WorkOutput)
    /// A control client asks for a refresh and waits for the answer
    /// (``DaemonAction/reply(requestID:_:)``).
    case refreshRequested(DaemonRefreshRequest)
}

/// A client's `refresh` request on the control socket, as the core sees it.
struct DaemonRefreshRequest: Sendable, Equatable {
    /// The control server's handle for the answer.
    let id: UInt64
    /// An id, label, email or id prefix; `nil` for the active account.
    let account: String?
    let condition: RefreshCondition
}

/// What ``DaemonCore`` asks the loop to do, in order.
enum DaemonAction: Sendable, Equatable {
    /// Read the files (answer ``DaemonEvent/filesRead(_:)``, ``DaemonEvent/readFailed(_:)`` or
    /// ``DaemonEvent/directoryMissing(_:)``).
    case readFiles(SyncTrigger, inline: Bool)
    /// Apply the sync rules under the locks (answer ``DaemonEvent/finished(_:)`` or
    /// ``DaemonEvent/writeQueued``); `inline` waits for a peer's lock on the loop.
    case write(SyncTrigger, remembered: [StoredAccount], inline: Bool)
    /// Refresh one account on the worker (answered later by ``DaemonEvent/finished(_:)``).
    case refresh(accountID: String, policy: RefreshPolicy)
    /// Write one log line.
    case log(DaemonLogLine)
    /// Tell systemd the loop is alive.
    case pingWatchdog
    /// Give back the code pages an idle daemon does not run (``ResidentCode``).
    case trimCode
    /// Tell systemd `READY=1` with the status line as it is then.
    case ready
    /// Tell systemd `RELOADING=1`.
    case reloading
    /// Update systemd's `STATUS=`.
    case status(String)
    /// Answer the control request `requestID` (a ``ControlRefreshReply`` or a declined reply).
    case reply(requestID: UInt64, JSONValue)
    /// Leave the loop.
    case stop
    /// Sleep until the wall clock reaches `wallMs` (a realtime timer, cancelled by clock steps)
    /// or the monotonic clock reaches `monotonicMs`, whichever comes first; `nil` is never.
    case arm(wallMs: Int64?, monotonicMs: Int64?)
}

/// The last resume or clock step and what the daemon did about it (the `clock` of `status`).
struct DaemonClockEvent: Sendable, Equatable {
    /// A resume from sleep, or the wall clock set while the machine ran.
    enum Kind: String, Sendable { case resume, step }
    /// When it was seen, on the wall clock (after the step).
    let atMs: Int64
    let kind: Kind
    /// How far the wall clock moved against the monotonic clock (a resume: at least the sleep).
    let stepMs: Int64
    /// What the daemon did, e.g. "refreshing 2 due accounts, the active (a) first".
    let action: String
}

/// One line for the journal; `event` becomes `QWEN_EVENT`, `account` `QWEN_ACCOUNT`.
struct DaemonLogLine: Sendable, Equatable {
    let level: Logger.Level
    let message: String
    let event: String
    var account: String? = nil
}

/// Every decision the daemon makes, given events and the time, returning actions: what is due
/// and in which order (the active account first), lead and jitter (``RefreshSchedule``),
/// back-off after failed refreshes and syncs, cooldown ends, syncs deferred while the worker
/// is busy, what a peer changed, watchdog pings and code trims, and what `status` reports.
///
/// It does no I/O and reads no clock: ``handle(_:at:)`` is given both clocks. Deadlines that
/// come from the files (expiry, cooldowns, refresh retries) are kept in wall-clock terms, so
/// a clock step or a resume (``DaemonEvent/clockChanged``) makes whatever is due happen at
/// once; when the wall clock moves back against the monotonic clock, retry times derived from
/// "now" move with it, so a backward step neither storms nor postpones. Watchdog, code trim
/// and sync retries run on the monotonic clock.
struct DaemonCore {
    /// How long the loop must have been quiet before it gives back its code pages.
    static let codeTrimQuietMs: Int64 = 5_000
    /// The first retry of a failed sync; it doubles up to ``syncRetryCapMs``.
    static let syncRetryFirstMs: Int64 = 1_000
    /// The longest wait between retries of a sync that keeps failing.
    static let syncRetryCapMs: Int64 = 10_000
    /// Awake this long after the sleep was announced, with no resume seen, the sleep did not
    /// happen (the monotonic clock stops while asleep): work starts again.
    static let sleepNeverCameMs: Int64 = 60_000
    /// A disagreement between the clocks beyond this is a step, not a reading's jitter.
    static let clockStepToleranceMs: Int64 = 1_000
    /// A resume is announced twice (logind's signal and the cancelled wall-clock timer, in either
    /// order): the second within this time is the same resume.
    static let resumeEchoMs: Int64 = 10_000

    /// When each account is refreshed next.
    private(set) var schedule: RefreshSchedule
    /// The files as this daemon last read or wrote them (`nil` before the first read, or while
    /// the qwen directory is gone).
    private(set) var state: CredentialState?
    /// What the daemon has done, for `status`.
    private(set) var counters = DaemonCounters()
    /// The last log line at info level or above, for `status`.
    private(set) var lastEvent: (atMs: Int64, message: String)?
    /// The wall-clock time the daemon started serving.
    private(set) var startedMs: Int64 = 0
    /// The account the worker is refreshing.
    private(set) var refreshingID: String?
    /// Since when (wall clock) and why syncing fails, with how often it has, while it keeps
    /// failing (the `sync_error` of `status`).
    var syncError: (sinceMs: Int64, message: String)? {
        syncFailure.map { ($0.sinceMs, "\($0.message) (\($0.attempts) failed attempts so far)") }
    }
    /// Whether the loop should keep running.
    private(set) var running = true
    /// Between ``DaemonEvent/suspending`` and the resume: nothing new starts, so no lock file
    /// is held across the sleep.
    private(set) var suspended = false
    /// When the sleep was announced, on the monotonic clock (which stops while asleep).
    private var suspendedAtMonotonicMs: Int64 = 0
    /// The last resume or clock step, for `status`.
    private(set) var lastClockEvent: DaemonClockEvent?
    /// Whether nothing is in flight: no job on the worker, no sync between read and write
    /// (so no lock file is held). The loop lets the machine sleep once this holds.
    var isQuiescent: Bool { !workerBusy && syncTrigger == nil }

    private var refreshing: StoredAccount?
    /// Clients waiting for a refresh of an account, oldest first: those of the account in flight
    /// are answered when it ends, the others start the next refresh once the worker is free.
    private var refreshWaiters: [RefreshWaiter] = []
    /// Whether the refresh in flight was started for a client rather than by the schedule: its
    /// failure is the client's to handle, and starts no retries of an account not yet due.
    private var refreshIsForClient = false
    /// Whether the worker runs a job (a refresh, or a sync waiting for a peer's lock).
    private var workerBusy = false
    /// Whether a sync is between ``DaemonAction/readFiles(_:inline:)`` and its end.
    private var syncTrigger: SyncTrigger?
    /// Whether that sync may wait for a peer's lock on the loop (start-up, before `READY=1`).
    private var syncInline = false
    /// File events seen while the worker or a sync was busy, synced when it is done.
    private var deferredTrigger: SyncTrigger = []
    /// Cooldown ends up to this wall-clock time have been acted on.
    private var cooldownCheckedUpToMs: Int64?
    private var watchdogIntervalMs: Int64?
    private var watchdogAtMs: Int64?
    private var codeTrimAtMs: Int64?
    private var lastInstant: DaemonInstant?
    private var syncFailure: (message: String, attempts: Int, sinceMs: Int64, retryAtMs: Int64?)?
    /// When the last resume was noted, on the monotonic clock (see ``resumeEchoMs``).
    private var resumeNotedAtMonotonicMs: Int64?
    /// The wall clock minus the monotonic clock when the clock was last checked for a step (at
    /// start, a resume or a cancelled timer): how far it moved since then is the step, however
    /// many other events came between.
    private var clockOffsetMs: Int64?

    /// A core refreshing `leadMs` before expiry.
    init(leadMs: Int64) { schedule = RefreshSchedule(leadMs: leadMs) }

    /// Takes in `event`, which happened at `now`, and returns what to do, ending with the next
    /// ``DaemonAction/arm(wallMs:monotonicMs:)``.
    mutating func handle(_ event: DaemonEvent, at now: DaemonInstant) -> [DaemonAction] {
        var actions: [DaemonAction] = []
        followClocks(to: now)
        switch event {
        case .started(let interval):
            startedMs = now.wallMs
            clockOffsetMs = now.wallMs.minus(now.monotonicMs)
            cooldownCheckedUpToMs = now.wallMs
            watchdogIntervalMs = interval
            watchdogAtMs = interval.map { now.monotonicMs.plus($0) }
            codeTrimAtMs = now.monotonicMs.plus(Self.codeTrimQuietMs)
            requestSync(.fullScan, inline: true, into: &actions)
            actions.append(.ready)
        case .filesChanged(let trigger):
            requestSync(trigger, inline: false, into: &actions)
        case .reload:
            actions.append(.reloading)
            log(.info, "reloading: rescanning the files", event: "start", at: now, into: &actions)
            requestSync(.fullScan, inline: false, into: &actions)
            actions.append(.ready)
        case .stop:
            running = false
            log(.info, "stopping", event: "stop", at: now, into: &actions)
            declineWaiters(where: { _ in true }, "the daemon is stopping; refresh under the locks", into: &actions)
            actions.append(.stop)
        case .controlRequest, .timerFired:
            break
        case .clockChanged:
            // A clock set to about the time it showed (another process's clock_settime, an NTP
            // nudge) is nothing to tell, and no resume: a resume moves the wall clock by the sleep.
            let movedMs = clockMovement(at: now)
            if abs(movedMs) > Self.clockStepToleranceMs {
                noteClockEvent(suspended && movedMs > 0 ? .resume : .step, stepMs: movedMs, at: now, into: &actions)
            }
        case .resumed:
            noteClockEvent(.resume, stepMs: clockMovement(at: now), at: now, into: &actions)
        case .suspending:
            // Nothing new starts now; work in flight finishes and no lock is held after it.
            suspended = true
            suspendedAtMonotonicMs = now.monotonicMs
            log(.info, "the machine is going to sleep: finishing the work in flight, starting none", event: "sleep", at: now, into: &actions)
            declineWaiters(where: { [refreshingID] in $0.accountID != refreshingID }, Self.preparingToSleep, into: &actions)
        case .networkReturned:
            schedule.retryNow(nowMs: now.wallMs)
        case .directoryMissing(let path):
            syncTrigger = nil
            state = nil
            log(.warning, "\(path) was removed; waiting for it to come back", event: "sync", at: now, into: &actions)
            actions.append(.status(statusLine(at: now)))
        case .filesRead(let current):
            compare(current, at: now, into: &actions)
        case .readFailed(let message):
            syncFailed("cannot read the files: \(message)", at: now, into: &actions)
        case .writeQueued:
            workerBusy = true
            actions.append(.status(statusLine(at: now)))
        case .finished(let output):
            finish(output, at: now, into: &actions)
        case .refreshRequested(let request):
            takeRefreshRequest(request, at: now, into: &actions)
        }
        if !event.isFromTimerOrLoop { codeTrimAtMs = now.monotonicMs.plus(Self.codeTrimQuietMs) }
        runDueWork(at: now, into: &actions)
        let wakeUps = nextWakeUps(at: now)
        actions.append(.arm(wallMs: wakeUps.wallMs, monotonicMs: wakeUps.monotonicMs))
        return actions
    }

    /// systemd's one-line `STATUS=`.
    func statusLine(at now: DaemonInstant) -> String {
        let accounts = state?.accounts.accounts ?? []
        let healthy = accounts.filter { $0.state(nowMs: now.wallMs) == .healthy }.count
        let next = accounts.compactMap { schedule.dueTime(of: $0, nowMs: now.wallMs) }.min()
        return "\(accounts.count) accounts (\(healthy) healthy), active \(state?.accounts.activeAccountID ?? "none")"
            + (next.map { ", next refresh in \(max(0, $0.minus(now.wallMs)) / 1000) s" } ?? "")
            + (syncFailure.map { "; sync failing: \($0.message)" } ?? "")
    }

    // MARK: Clocks

    /// Notes `now`; moves this daemon's own wall-clock times back when the wall clock went back
    /// against the monotonic clock since the last event.
    private mutating func followClocks(to now: DaemonInstant) {
        defer { lastInstant = now }
        guard let last = lastInstant else { return }
        let stepMs = now.wallMs.minus(last.wallMs).minus(now.monotonicMs.minus(last.monotonicMs))
        if stepMs < -Self.clockStepToleranceMs {
            schedule.shift(by: stepMs)
            cooldownCheckedUpToMs = cooldownCheckedUpToMs.map { $0.plus(stepMs) }
        }
    }

    /// How far the wall clock moved against the monotonic clock since it was last checked.
    private mutating func clockMovement(at now: DaemonInstant) -> Int64 {
        let offset = now.wallMs.minus(now.monotonicMs)
        defer { clockOffsetMs = offset }
        return offset.minus(clockOffsetMs ?? offset)
    }

    /// A resume or a clock step: one log line and one status record, a rescan after a resume,
    /// and every due account refreshed at once (by ``runDueWork(at:into:)``), the active first.
    private mutating func noteClockEvent(_ kind: DaemonClockEvent.Kind, stepMs: Int64, at now: DaemonInstant, into actions: inout [DaemonAction]) {
        suspended = false
        if let noted = resumeNotedAtMonotonicMs, now.monotonicMs.minus(noted) < Self.resumeEchoMs {
            return  // the same resume, announced the other way too
        }
        let due = dueAccounts(at: now)
        let action =
            due.first.map { first in
                "refreshing \(due.count) due account\(due.count == 1 ? "" : "s")"
                    + (first.id == state?.accounts.activeAccountID ? ", the active (\(first.id)) first" : ", \(first.id) first")
            } ?? "nothing was due"
        lastClockEvent = DaemonClockEvent(atMs: now.wallMs, kind: kind, stepMs: stepMs, action: action)
        switch kind {
        case .resume:
            resumeNotedAtMonotonicMs = now.monotonicMs
            log(.notice, "the machine resumed; re-checking every account: \(action)", event: "resume", at: now, into: &actions)
            requestSync(.fullScan, inline: false, into: &actions)
        case .step:
            log(
                .notice, "the wall clock was set (\(stepMs / 1000) s off the monotonic clock); re-checking every account: \(action)",
                event: "clock", at: now, into: &actions)
        }
    }

    // MARK: Syncs

    /// Starts a sync round, or defers it while the worker or another round is busy, or while a
    /// failing sync waits out its back-off.
    private mutating func requestSync(_ trigger: SyncTrigger, inline: Bool, into actions: inout [DaemonAction]) {
        guard running else { return }
        guard !suspended, !workerBusy, syncTrigger == nil, syncFailure?.retryAtMs == nil else {
            deferredTrigger.formUnion(trigger)
            return
        }
        syncTrigger = trigger
        syncInline = inline
        actions.append(.readFiles(trigger, inline: inline))
    }

    /// The files were read: notes what peers changed, and writes only if the rules change
    /// something (they are applied again under the locks).
    private mutating func compare(_ current: CredentialState, at now: DaemonInstant, into actions: inout [DaemonAction]) {
        guard let trigger = syncTrigger else { return }
        notePeerChanges(to: current, at: now, into: &actions)
        let remembered = state?.accounts.accounts ?? []
        state = current
        var preview = current
        let previewEvents = SyncRules.apply(to: &preview, trigger: trigger, nowMs: now.wallMs, remembered: remembered)
        // Rotated tokens in the write-ahead journal that the store does not hold yet must be folded in.
        let changes =
            preview.accounts != current.accounts || preview.credentials != current.credentials || preview.recovered != current.recovered
            || current.hasUnwrittenRotations
        if changes {
            actions.append(.write(trigger, remembered: remembered, inline: syncInline))
            return
        }
        for event in previewEvents where event.eventName == "error" {
            log(.warning, event.description, event: event.eventName, at: now, into: &actions)
        }
        syncSucceeded(at: now, into: &actions)
    }

    /// What peers changed since this daemon last looked: their switches and cooldowns go to
    /// the journal (the audit trail), and fresher tokens from anywhere end a retry back-off
    /// (after an outage, a peer's refresh must not leave an account waiting out a retry).
    private mutating func notePeerChanges(to current: CredentialState, at now: DaemonInstant, into actions: inout [DaemonAction]) {
        guard let previous = state else { return }
        let before = previous.accounts
        let after = current.accounts
        if before.activeAccountID != after.activeAccountID, let active = after.activeAccountID {
            log(
                .notice, "another process switched the active account \(before.activeAccountID ?? "none") → \(active)", event: "switch",
                account: active, at: now, into: &actions)
        }
        for account in after.accounts {
            let old = before.account(id: account.id)
            if account.exhaustedUntil > now.wallMs, account.exhaustedUntil != old?.exhaustedUntil {
                let why = account.lastErrorCode ?? "cooldown"
                log(
                    .notice, "another process put \(account.id) into a cooldown (\(why)) for \(account.exhaustedUntil.minus(now.wallMs) / 1000) s",
                    event: "cooldown", account: account.id, at: now, into: &actions)
            }
            if schedule.retryAtMs[account.id] != nil, let old, old.token.refreshToken != account.token.refreshToken {
                schedule.recordSuccess(of: account.id)
            }
        }
    }

    private mutating func syncSucceeded(at now: DaemonInstant, into actions: inout [DaemonAction]) {
        syncTrigger = nil
        if let failure = syncFailure {
            syncFailure = nil
            log(.notice, "syncing works again after \(failure.attempts) failed attempts", event: "sync", at: now, into: &actions)
        }
        actions.append(.status(statusLine(at: now)))
        runDeferred(into: &actions)
    }

    /// A sync that failed is retried after a back-off (1 s doubling, at most 10 s), with every
    /// file event seen meanwhile; the log gets one line when the failure starts or changes, and
    /// one when it ends, never one per attempt.
    private mutating func syncFailed(_ message: String, at now: DaemonInstant, into actions: inout [DaemonAction]) {
        deferredTrigger.formUnion(syncTrigger ?? .fullScan)
        deferredTrigger.formUnion(.fullScan)
        syncTrigger = nil
        let attempts = (syncFailure?.attempts ?? 0) + 1
        let delay = min(Self.syncRetryFirstMs << min(attempts - 1, 20), Self.syncRetryCapMs)
        if syncFailure?.message != message {
            log(
                .error, "sync failed: \(message); retrying every \(Self.syncRetryCapMs / 1000) s at most until it works", event: "error", at: now,
                into: &actions)
        }
        syncFailure = (message, attempts, syncFailure?.sinceMs ?? now.wallMs, now.monotonicMs.plus(delay))
        actions.append(.status(statusLine(at: now)))
    }

    /// Starts the sync deferred while something was busy, if nothing is now.
    private mutating func runDeferred(into actions: inout [DaemonAction]) {
        guard running, !deferredTrigger.isEmpty, !workerBusy, syncTrigger == nil, syncFailure?.retryAtMs == nil else { return }
        let trigger = deferredTrigger
        deferredTrigger = []
        requestSync(trigger, inline: false, into: &actions)
    }

    // MARK: Results

    /// Takes in a finished job. The files are not read back here: the sync that follows a
    /// refresh reads them against what this daemon wrote or last saw, so a peer's change made
    /// meanwhile (a stale store written back, an account dropped) is noticed and undone.
    private mutating func finish(_ output: WorkOutput, at now: DaemonInstant, into actions: inout [DaemonAction]) {
        switch output {
        case .refreshed(let accountID, let result):
            workerBusy = false
            finishRefresh(accountID: accountID, result.map(\.outcome), at: now, into: &actions)
            if case .success(let done) = result { state = done.state }  // what the transaction wrote
            answerWaiters(of: accountID, result.map(\.outcome), at: now, into: &actions)
            deferredTrigger.formUnion(.fullScan)
            runDeferred(into: &actions)
            actions.append(.status(statusLine(at: now)))
        case .synced(.success(let result)):
            workerBusy = false
            counters.syncs += 1
            for event in result.events {
                log(event.eventName == "error" ? .warning : .info, event.description, event: event.eventName, account: event.accountID, at: now, into: &actions)
                switch event {
                case .restored(let id): schedule.refreshSoon(id, nowMs: now.wallMs)
                case .accountUpdated(let id): schedule.recordSuccess(of: id)
                default: break
                }
            }
            state = result.state  // what the transaction wrote: no need to read it back
            syncSucceeded(at: now, into: &actions)
        case .synced(.failure(let error)):
            workerBusy = false
            syncFailed(error.description, at: now, into: &actions)
        }
    }

    private mutating func finishRefresh(
        accountID: String, _ outcome: Result<RefreshOutcome, StoreError>, at now: DaemonInstant, into actions: inout [DaemonAction]
    ) {
        // A client's refresh of an account the schedule has not made due yet is not retried.
        let account = refreshing.flatMap { account in
            !refreshIsForClient || (schedule.dueTime(of: account, nowMs: now.wallMs).map { $0 <= now.wallMs } ?? false) ? account : nil
        }
        refreshing = nil
        refreshingID = nil
        refreshIsForClient = false
        switch outcome {
        case .success(let outcome):
            switch outcome {
            case .refreshed:
                counters.refreshes += 1
                schedule.recordRefreshed(accountID, nowMs: now.wallMs)
                log(.info, outcome.description, event: "refresh", account: accountID, at: now, into: &actions)
            case .alreadyFresh:
                schedule.recordSuccess(of: accountID)
                log(.debug, outcome.description, event: "refresh", account: accountID, at: now, into: &actions)
            case .transientFailure(_, let reason, let retryAfter):
                counters.refreshFailures += 1
                // Back off from the end of the attempt: a timed-out request took seconds.
                if let account {
                    let retry = schedule.recordTransientFailure(of: account, retryAfterMs: retryAfter, nowMs: now.wallMs)
                    log(
                        .warning, "\(outcome.description) in \(retry.minus(now.wallMs) / 1000) s", event: "refresh", account: accountID, at: now,
                        into: &actions)
                } else {
                    log(
                        .warning, "\(accountID): the refresh a client asked for failed: \(reason)", event: "refresh", account: accountID, at: now,
                        into: &actions)
                }
            case .invalidated(_, _, let switched):
                counters.refreshFailures += 1
                schedule.recordSuccess(of: accountID)
                log(.error, outcome.description, event: "refresh", account: accountID, at: now, into: &actions)
                if let switched { log(.notice, "switched to \(switched)", event: "switch", account: switched, at: now, into: &actions) }
            case .notFound:
                schedule.recordSuccess(of: accountID)
            }
        case .failure(let error):
            counters.refreshFailures += 1
            if let account { schedule.recordTransientFailure(of: account, retryAfterMs: nil, nowMs: now.wallMs) }
            log(.error, "refresh of \(accountID) failed: \(error)", event: "refresh", account: accountID, at: now, into: &actions)
        }
    }

    // MARK: Due work

    /// Whatever has come due: the watchdog, a code trim, a sync retry, the most urgent refresh
    /// (the active account first, then the earliest due) and cooldown ends.
    private mutating func runDueWork(at now: DaemonInstant, into actions: inout [DaemonAction]) {
        if let due = watchdogAtMs, now.monotonicMs >= due, let interval = watchdogIntervalMs {
            actions.append(.pingWatchdog)
            watchdogAtMs = now.monotonicMs.plus(interval)
        }
        guard running else { return }
        if let due = codeTrimAtMs, !workerBusy, now.monotonicMs >= due {
            actions.append(.trimCode)
            codeTrimAtMs = nil
        }
        if suspended, now.monotonicMs.minus(suspendedAtMonotonicMs) >= Self.sleepNeverCameMs {
            suspended = false
            log(
                .warning, "the announced sleep never came (no resume after \(Self.sleepNeverCameMs / 1000) s awake); working again", event: "sleep", at: now,
                into: &actions)
            requestSync(.fullScan, inline: false, into: &actions)
        }
        guard !suspended else { return }
        if let retry = syncFailure?.retryAtMs, now.monotonicMs >= retry {
            syncFailure?.retryAtMs = nil
            runDeferred(into: &actions)
        }
        startRequestedRefresh(at: now, into: &actions)
        if !workerBusy, syncTrigger == nil, let account = dueAccounts(at: now).first {
            let policy: RefreshPolicy =
                schedule.retryAtMs[account.id] != nil
                ? .unlessRotatedSince(refreshToken: schedule.failedRefreshTokens[account.id] ?? account.token.refreshToken)
                : .ifExpiringWithin(.milliseconds(schedule.earliestDueBeforeExpiryMs + 1_000))
            refreshing = account
            refreshingID = account.id
            workerBusy = true
            actions.append(.refresh(accountID: account.id, policy: policy))
        }
        if let state {
            let checkedUpTo = cooldownCheckedUpToMs ?? now.wallMs
            let ended = state.accounts.accounts.filter { $0.exhaustedUntil > checkedUpTo && $0.exhaustedUntil <= now.wallMs }
            cooldownCheckedUpToMs = now.wallMs
            if let account = ended.first {
                log(.info, "\(account.id)'s cooldown has ended", event: "cooldown", account: account.id, at: now, into: &actions)
                requestSync(.fullScan, inline: false, into: &actions)
            }
        }
    }

    /// The accounts due now, most urgent first: the active account, then the earliest due.
    private func dueAccounts(at now: DaemonInstant) -> [StoredAccount] {
        guard let state else { return [] }
        let activeID = state.accounts.activeAccountID
        return state.accounts.accounts
            .compactMap { account in schedule.dueTime(of: account, nowMs: now.wallMs).map { (account, $0) } }
            .filter { $0.1 <= now.wallMs }
            .sorted { ($0.0.id == activeID ? 0 : 1, $0.1) < ($1.0.id == activeID ? 0 : 1, $1.1) }
            .map(\.0)
    }

    /// The next wall-clock deadline (a refresh or a cooldown end) and the next monotonic one
    /// (watchdog, code trim, sync retry).
    func nextWakeUps(at now: DaemonInstant) -> (wallMs: Int64?, monotonicMs: Int64?) {
        var wall: [Int64] = []
        for account in state?.accounts.accounts ?? [] {
            if !workerBusy, syncTrigger == nil, !suspended, let due = schedule.dueTime(of: account, nowMs: now.wallMs) { wall.append(due) }
            if account.exhaustedUntil > now.wallMs { wall.append(account.exhaustedUntil) }
        }
        var monotonic: [Int64] = []
        if let watchdogAtMs { monotonic.append(watchdogAtMs) }
        if running, !workerBusy, let codeTrimAtMs { monotonic.append(codeTrimAtMs) }
        if running, !suspended, let retry = syncFailure?.retryAtMs { monotonic.append(retry) }
        if running, suspended { monotonic.append(suspendedAtMonotonicMs.plus(Self.sleepNeverCameMs)) }
        return (running ? wall.min() : nil, monotonic.min())
    }

    // MARK: Logging

    private mutating func log(
        _ level: Logger.Level, _ message: String, event: String, account: String? = nil, at now: DaemonInstant, into actions: inout [DaemonAction]
    ) {
        actions.append(.log(DaemonLogLine(level: level, message: message, event: event, account: account)))
        if level >= .info { lastEvent = (now.wallMs, message) }
    }
}

// MARK: Refreshes clients ask for

/// A client waiting for the refresh of `accountID`.
struct RefreshWaiter: Sendable, Equatable {
    let request: DaemonRefreshRequest
    let accountID: String
}

extension DaemonCore {
    /// What a client asking while the machine prepares to sleep is told.
    static let preparingToSleep = "the daemon is preparing to sleep; refresh under the locks"

    /// A client asks for a refresh: answered at once when the token is fresh enough or the
    /// daemon cannot serve it now (the client then refreshes under the locks); else it waits,
    /// joining the refresh of that account already in flight or starting one when the worker
    /// is free (``startRequestedRefresh(at:into:)``). Never a second concurrent refresh.
    fileprivate mutating func takeRefreshRequest(_ request: DaemonRefreshRequest, at now: DaemonInstant, into actions: inout [DaemonAction]) {
        switch servableAccount(request.account) {
        case .failure(let refusal):
            actions.append(.reply(requestID: request.id, ControlReply.declined(refusal.message)))
        case .success(let account) where !request.condition.needsRefresh(expiryMs: account.token.expiryDate, nowMs: now.wallMs):
            let reply = ControlRefreshReply.done(accountID: account.id, refreshed: false, expiryMs: account.token.expiryDate)
            actions.append(.reply(requestID: request.id, reply.json))
        case .success(let account):
            refreshWaiters.append(RefreshWaiter(request: request, accountID: account.id))
        }
    }

    /// Why the daemon will not serve a request now, for the client (which then does it itself).
    fileprivate struct Declined: Error {
        let message: String
    }

    /// The account `reference` names (the active one for `nil`), if the daemon can serve a
    /// refresh of it now.
    fileprivate func servableAccount(_ reference: String?) -> Result<StoredAccount, Declined> {
        guard running else { return .failure(Declined(message: "the daemon is stopping; refresh under the locks")) }
        guard !suspended else { return .failure(Declined(message: Self.preparingToSleep)) }
        guard let state else { return .failure(Declined(message: "the daemon has not read the files yet; refresh under the locks")) }
        guard let reference else {
            return state.accounts.activeAccount.map { .success($0) } ?? .failure(Declined(message: "no active account in the files the daemon has read"))
        }
        guard case .found(let account) = state.lookUpAccount(reference) else {
            return .failure(Declined(message: "no single account matches \"\(reference)\" in the files the daemon has read"))
        }
        return .success(account)
    }

    /// Starts the refresh the oldest waiting client asked for, when nothing is in flight (each
    /// client's condition becomes the refresh policy, judged again under the locks).
    fileprivate mutating func startRequestedRefresh(at now: DaemonInstant, into actions: inout [DaemonAction]) {
        guard !workerBusy, syncTrigger == nil, let waiter = refreshWaiters.first else { return }
        guard let account = state?.accounts.account(id: waiter.accountID) else {
            declineWaiters(where: { $0.accountID == waiter.accountID }, "the account is gone from the files; refresh under the locks", into: &actions)
            return startRequestedRefresh(at: now, into: &actions)
        }
        let policy: RefreshPolicy =
            switch waiter.request.condition {
            case .ifExpiringWithin(let lead): .ifExpiringWithin(lead)
            case .forced: .unlessRotatedSince(refreshToken: account.token.refreshToken)
            }
        log(.debug, "a client asked for a refresh of \(account.id)", event: "refresh", account: account.id, at: now, into: &actions)
        refreshing = account
        refreshingID = account.id
        refreshIsForClient = true
        workerBusy = true
        actions.append(.refresh(accountID: account.id, policy: policy))
    }

    /// The refresh of `accountID` ended: every client waiting for that account gets the outcome.
    /// One whose own condition a refresh that found nothing to do does not meet (it joined the
    /// daemon's own, with a shorter lead) waits for the next, started with its condition.
    fileprivate mutating func answerWaiters(
        of accountID: String, _ outcome: Result<RefreshOutcome, StoreError>, at now: DaemonInstant, into actions: inout [DaemonAction]
    ) {
        let expiry = state?.accounts.account(id: accountID)?.token.expiryDate
        var remaining: [RefreshWaiter] = []
        for waiter in refreshWaiters {
            guard waiter.accountID == accountID else {
                remaining.append(waiter)
                continue
            }
            let reply: JSONValue
            switch outcome {
            case .success(let result):
                switch result {
                case .refreshed(_, let expiresAt):
                    reply = ControlRefreshReply.done(accountID: accountID, refreshed: true, expiryMs: expiresAt).json
                case .alreadyFresh(_, let expiresAt):
                    let condition = waiter.request.condition
                    if case .ifExpiringWithin = condition, condition.needsRefresh(expiryMs: expiry ?? expiresAt, nowMs: now.wallMs), !suspended {
                        remaining.append(waiter)
                        continue
                    }
                    reply = ControlRefreshReply.done(accountID: accountID, refreshed: false, expiryMs: expiresAt).json
                case .transientFailure(_, let reason, _):
                    reply = ControlRefreshReply.failed(accountID: accountID, message: reason).json
                case .invalidated:
                    reply = ControlRefreshReply.loginRequired(accountID: accountID, message: result.description).json
                case .notFound:
                    reply = ControlReply.declined("\(accountID) is gone from the files; refresh under the locks")
                }
            case .failure(let error):
                reply = ControlRefreshReply.failed(accountID: accountID, message: "\(error)").json
            }
            actions.append(.reply(requestID: waiter.request.id, reply))
        }
        refreshWaiters = remaining
    }

    /// Tells the waiting clients `isDeclined` picks to refresh under the locks themselves.
    fileprivate mutating func declineWaiters(where isDeclined: (RefreshWaiter) -> Bool, _ message: String, into actions: inout [DaemonAction]) {
        for waiter in refreshWaiters where isDeclined(waiter) { actions.append(.reply(requestID: waiter.request.id, ControlReply.declined(message))) }
        refreshWaiters.removeAll(where: isDeclined)
    }
}

extension DaemonEvent {
    /// Whether the event came from the daemon's own timers or actions rather than from outside
    /// (only outside activity postpones the code trim).
    fileprivate var isFromTimerOrLoop: Bool {
        switch self {
        case .timerFired, .filesRead, .readFailed, .directoryMissing, .writeQueued: true
        default: false
        }
    }
}
