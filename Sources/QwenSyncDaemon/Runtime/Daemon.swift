import Glibc
import Logging
import QwenControl
import QwenOAuth
import QwenSyncCore
import QwenSystemd

/// `qwen-sync daemon`: one thread, one `poll` loop over inotify, the control socket and a
/// signal pipe, with the next refresh (or watchdog ping) as the only timeout. Idle, it makes
/// no wakeups at all, except once, ``codeTrimQuietMs`` after a burst of events, to give back
/// the code pages it ran (``ResidentCode``).
public final class Daemon {
    /// How long the loop must have been quiet before it gives back its code pages.
    static let codeTrimQuietMs: Int64 = 5_000

    private let configuration: DaemonConfiguration
    private let store: CredentialStore
    private let notifier = SystemdNotifier()
    private let logger: Logger
    private let startedMs = WallClock.nowMs()
    private var schedule: RefreshSchedule
    private var counters = DaemonCounters()
    private var lastEvent: (atMs: Int64, message: String)?
    private var state: CredentialState?
    private var running = true
    /// The same files, with locks that are taken only if free at once (for the loop thread).
    private let storeWithoutWaiting: CredentialStore
    private let refresher: AccountRefresher
    private let worker = BackgroundWorker()
    /// The account the worker is refreshing.
    private var refreshing: StoredAccount?
    /// File events seen while the worker was busy, synced when it is done.
    private var deferredTrigger: SyncTrigger = []
    /// Cooldown ends up to this time have been acted on.
    private var cooldownCheckedUpToMs = WallClock.nowMs()

    /// A daemon for `configuration`, logging through `logger`.
    public init(configuration: DaemonConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        var store = CredentialStore(settings: configuration.settings)
        store.notice = { [logger] message in logger.notice("\(message)", metadata: ["event": "sync"]) }
        let lockWaitNotice = LockWaitObserver(firstAfterMs: 2_000, everyMs: 10_000) { wait in
            logger.notice("\(wait.description)", metadata: ["event": "lock"])
        }
        store.credentialsLockPolicy.waitObserver = lockWaitNotice
        store.accountsLockPolicy.waitObserver = lockWaitNotice
        self.store = store
        var immediate = store
        immediate.credentialsLockPolicy.maxWaitMs = 0
        immediate.accountsLockPolicy.maxWaitMs = 0
        storeWithoutWaiting = immediate
        refresher = AccountRefresher(store: store, client: OAuthClient(configuration: configuration.oauth))
        schedule = RefreshSchedule(leadMs: configuration.refreshLeadMs)
    }

    /// Runs until SIGTERM or SIGINT.
    ///
    /// - Throws: ``DaemonError`` when it cannot start (another daemon, no inotify, socket in use).
    public func run() throws(DaemonError) {
        let settings = configuration.settings
        for warning in settings.warnings { logger.warning("\(warning)", metadata: ["event": "start"]) }
        // Only the default ~/.qwen is created; another directory that does not exist is a typo.
        guard settings.qwenDirectoryIsDefault || access(settings.qwenDirectory, F_OK) == 0 else {
            throw .startup("the qwen directory \(settings.qwenDirectory) does not exist (create it, or fix --qwen-dir / QWEN_HOME)")
        }
        do {
            for warning in try SecureFile.ensureDirectory(settings.qwenDirectory) {
                logger.warning("\(warning)", metadata: ["event": "start"])
            }
        } catch { throw .startup(error.description) }
        let instance: InstanceLock
        do { instance = try InstanceLock(qwenDirectory: settings.qwenDirectory) } catch { throw .startup(error.description) }
        for directory in Set([settings.qwenDirectory, PathNormalizer.directory(of: settings.accountsPath)]) {
            let names = [settings.credentialsPath, settings.accountsPath, settings.sidecarPath].map(PathNormalizer.fileName(of:))
            for name in AbandonedTemporaryFiles.remove(in: directory, for: names) {
                logger.notice("removed \(name), left by a writer that died", metadata: ["event": "start"])
            }
        }
        let signals = SignalSource()
        let watcher: DirectoryWatcher
        let server: ControlServer
        do {
            watcher = try DirectoryWatcher(settings: settings)
            let inherited = (try? notifier.listenFDs())?.first { SystemdNotifier.isUnixStreamListener($0) }
            server = try ControlServer(path: settings.socketPath, inherited: inherited)
        } catch { throw .startup(error.description) }

        logger.info(
            "qwen-sync \(QwenSyncVersion.current) serving \(settings.qwenDirectory), control socket \(server.path)",
            metadata: ["event": "start"]
        )
        sync(.fullScan, inline: true)
        _ = try? notifier.ready(status: statusLine())
        let watchdogMs = notifier.watchdogInterval().map { Int64($0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000) }
        var nextWatchdogMs = watchdogMs.map { WallClock.monotonicMs() + $0 }
        var codeTrimAtMs: Int64? = WallClock.monotonicMs() + Self.codeTrimQuietMs

        let ownDescriptors = [
            pollfd(fd: watcher.descriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: signals.descriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: worker.completionDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        while running {
            runDueRefreshes()
            // The control server's descriptors follow the loop's own three.
            var descriptors = ownDescriptors + server.pollDescriptors
            let timeout = server.pollTimeout(
                capping: pollTimeout(watchdogAtMs: nextWatchdogMs, codeTrimAtMs: worker.isBusy ? nil : codeTrimAtMs), nowMs: WallClock.monotonicMs())
            let ready = poll(&descriptors, nfds_t(descriptors.count), timeout)
            if ready < 0 && errno != EINTR { break }
            if ready > 0 {
                codeTrimAtMs = WallClock.monotonicMs() + Self.codeTrimQuietMs
            } else if let due = codeTrimAtMs, !worker.isBusy, WallClock.monotonicMs() >= due {
                let releasedKB = ResidentCode.release()
                logger.debug("idle: gave back \(releasedKB) kB of code pages", metadata: ["event": "idle"])
                codeTrimAtMs = nil
            }
            if descriptors[1].revents != 0 { handle(signals: signals.drain()) }
            if descriptors[0].revents != 0 {
                var trigger = watcher.drain()
                let settings = configuration.settings
                if trigger.contains(.credentialsDeleted) || access(settings.accountsPath, F_OK) != 0 || access(settings.credentialsPath, F_OK) != 0 {
                    trigger.formUnion(settle(watcher))
                }
                if !trigger.isEmpty {
                    do {
                        if trigger.contains(.directoryReturned) { try instance.reassert() }
                    } catch {
                        note("\(error); stopping", event: "error", level: .critical)
                        running = false
                        continue
                    }
                    sync(trigger)
                }
            }
            server.service(descriptors[ownDescriptors.count...], nowMs: WallClock.monotonicMs(), answer: answer)
            if descriptors[2].revents != 0, let output = worker.takeResult() { finish(output) }
            if let due = nextWatchdogMs, WallClock.monotonicMs() >= due, let interval = watchdogMs {
                _ = try? notifier.watchdogPing()
                nextWatchdogMs = WallClock.monotonicMs() + interval
            }
        }
        _ = try? notifier.stopping()
        logger.info("stopping", metadata: ["event": "stop"])
        worker.stop()
        if let output = worker.takeResult() { finish(output) }
    }

    // MARK: Events

    private func handle(signals: [Int32]) {
        for signal in signals {
            switch signal {
            case SIGHUP:
                _ = try? notifier.reloading()
                logger.info("reloading: rescanning the files", metadata: ["event": "start"])
                sync(.fullScan)
                _ = try? notifier.ready(status: statusLine())
            default:
                running = false
            }
        }
    }

    /// Collects the events that follow a deletion within a short quiet period, so that an
    /// `rm -rf` of the qwen directory is seen whole before anything is restored into it.
    private func settle(_ watcher: DirectoryWatcher) -> SyncTrigger {
        var trigger: SyncTrigger = []
        var pending = pollfd(fd: watcher.descriptor, events: Int16(POLLIN), revents: 0)
        for _ in 0..<10 {
            guard poll(&pending, 1, 50) > 0 else { break }
            trigger.formUnion(watcher.drain())
        }
        return trigger
    }

    /// Applies the sync rules: a lock-free look first, and a locked transaction only when
    /// something must change (the rules are re-applied under the locks). The transaction
    /// runs on this thread when the locks are free at once, else on the worker, so a peer
    /// holding a lock never stalls the loop.
    ///
    /// - Parameter inline: wait for the locks on this thread if a peer holds them (start-up,
    ///   before READY=1, when the worker is known to be idle).
    private func sync(_ trigger: SyncTrigger, inline: Bool = false) {
        guard !worker.isBusy else {
            // One transaction at a time, on the worker; this one runs when it is free.
            deferredTrigger.formUnion(trigger)
            return
        }
        let nowMs = WallClock.nowMs()
        guard access(configuration.settings.qwenDirectory, F_OK) == 0 else {
            // Never re-create a directory someone removed; the watcher rescans when it returns.
            state = nil
            note("\(configuration.settings.qwenDirectory) was removed; waiting for it to come back", event: "sync", level: .warning)
            updateStatus()
            return
        }
        let current: CredentialState
        do { current = try store.read() } catch {
            note("cannot read the files: \(error)", event: "error", level: .error)
            return
        }
        notePeerChanges(from: state, to: current, nowMs: nowMs)
        let remembered = state?.accounts.accounts ?? []
        state = current
        var preview = current
        let previewEvents = SyncRules.apply(to: &preview, trigger: trigger, nowMs: nowMs, remembered: remembered)
        let changes = preview.accounts != current.accounts || preview.credentials != current.credentials || preview.recovered != current.recovered
        if !changes {
            for event in previewEvents where event.eventName == "error" { note(event.description, event: event.eventName, level: .warning) }
            updateStatus()
            return
        }
        let apply: @Sendable (inout CredentialState) -> SyncResult = { state in
            let events = SyncRules.apply(to: &state, trigger: trigger, nowMs: WallClock.nowMs(), remembered: remembered)
            return SyncResult(events: events, state: state)
        }
        // In the common case nobody holds the locks: take them without waiting and write on
        // this thread. Only when a peer holds one does the transaction go to the worker, which
        // waits for it while the loop stays responsive.
        let attempt = Result { () throws(StoreError) in try (inline ? store : storeWithoutWaiting).transaction(apply) }
        if case .failure(.lock(.timedOut)) = attempt, !inline {
            worker.submit { [store] in .synced(Result { () throws(StoreError) in try store.transaction(apply) }) }
            updateStatus()
            return
        }
        finish(.synced(attempt))
    }

    /// What peers changed since this daemon last looked: their switches and cooldowns go to
    /// the journal (the audit trail), and fresher tokens from anywhere end a retry back-off
    /// (after an outage, a peer's refresh must not leave an account waiting out a retry).
    private func notePeerChanges(from previous: CredentialState?, to current: CredentialState, nowMs: Int64) {
        guard let previous else { return }
        let before = previous.accounts
        let after = current.accounts
        if before.activeAccountID != after.activeAccountID, let active = after.activeAccountID {
            note(
                "another process switched the active account \(before.activeAccountID ?? "none") → \(active)", event: "switch", account: active, level: .notice)
        }
        for account in after.accounts {
            let old = before.account(id: account.id)
            if account.exhaustedUntil > nowMs, account.exhaustedUntil != old?.exhaustedUntil {
                let why = account.lastErrorCode ?? "cooldown"
                note(
                    "another process put \(account.id) into a cooldown (\(why)) for \((account.exhaustedUntil - nowMs) / 1000) s", event: "cooldown",
                    account: account.id, level: .notice)
            }
            if schedule.retryAtMs[account.id] != nil, let old, old.token.refreshToken != account.token.refreshToken {
                schedule.recordSuccess(of: account.id)
            }
        }
    }

    /// Starts the most urgent due refresh on the worker: the active account first, then the
    /// earliest due.
    private func runDueRefreshes() {
        guard let state else { return }
        let nowMs = WallClock.nowMs()
        if !worker.isBusy {
            let activeID = state.accounts.activeAccountID
            let due = state.accounts.accounts
                .compactMap { account in schedule.dueTime(of: account, nowMs: nowMs).map { (account, $0) } }
                .filter { $0.1 <= nowMs }
                .min { ($0.0.id == activeID ? 0 : 1, $0.1) < ($1.0.id == activeID ? 0 : 1, $1.1) }
            if let (account, _) = due {
                let policy: RefreshPolicy =
                    schedule.retryAtMs[account.id] != nil
                    ? .unlessRotatedSince(refreshToken: schedule.failedRefreshTokens[account.id] ?? account.token.refreshToken)
                    : .ifExpiringWithin(milliseconds: schedule.earliestDueBeforeExpiryMs + 1_000)
                refreshing = account
                let accountID = account.id
                worker.submit { [refresher] in
                    .refreshed(
                        accountID: accountID, Result { () throws(StoreError) in try refresher.refreshReportingState(accountID: accountID, policy: policy) })
                }
            }
        }
        let ended = state.accounts.accounts.filter { $0.exhaustedUntil > cooldownCheckedUpToMs && $0.exhaustedUntil <= nowMs }
        cooldownCheckedUpToMs = nowMs
        if let account = ended.first {
            note("\(account.id)'s cooldown has ended", event: "cooldown", account: account.id, level: .info)
            sync(.fullScan)
        }
    }

    /// Takes in a finished job, then runs the sync rounds deferred while the worker was busy.
    ///
    /// The files are not read back here: the sync that follows reads them against what this
    /// daemon wrote or last saw, so a peer's change made meanwhile (a stale store written back,
    /// an account dropped) is noticed and undone, and its switches and cooldowns are logged.
    private func finish(_ output: WorkOutput) {
        switch output {
        case .refreshed(let accountID, let result):
            finishRefresh(accountID: accountID, result.map(\.outcome))
            if case .success(let done) = result { state = done.state }  // what the transaction wrote
            deferredTrigger.formUnion(.fullScan)
        case .synced(.success(let result)):
            finishSync(.success(result))
            state = result.state  // what the transaction wrote: no need to read it back
        case .synced(let failure):
            finishSync(failure)
            deferredTrigger.formUnion(.fullScan)
        }
        let deferred = deferredTrigger
        deferredTrigger = []
        if running, !deferred.isEmpty {
            sync(deferred)
        } else if !running {
            state = try? store.read()
        }
        updateStatus()
    }

    private func finishSync(_ result: Result<SyncResult, StoreError>) {
        switch result {
        case .success(let result):
            counters.syncs += 1
            for event in result.events {
                note(event.description, event: event.eventName, account: event.accountID, level: event.eventName == "error" ? .warning : .info)
                switch event {
                case .restored(let id): schedule.refreshSoon(id, nowMs: WallClock.nowMs())
                case .accountUpdated(let id): schedule.recordSuccess(of: id)
                default: break
                }
            }
        case .failure(let error):
            note("sync failed: \(error)", event: "error", level: .error)
        }
    }

    private func finishRefresh(accountID: String, _ outcome: Result<RefreshOutcome, StoreError>) {
        let account = refreshing
        refreshing = nil
        switch outcome {
        case .success(let outcome):
            switch outcome {
            case .refreshed:
                counters.refreshes += 1
                schedule.recordRefreshed(accountID, nowMs: WallClock.nowMs())
                note(outcome.description, event: "refresh", account: accountID, level: .info)
            case .alreadyFresh:
                schedule.recordSuccess(of: accountID)
                note(outcome.description, event: "refresh", account: accountID, level: .debug)
            case .transientFailure(_, _, let retryAfter):
                counters.refreshFailures += 1
                // Back off from the end of the attempt: a timed-out request took seconds.
                let failedAtMs = WallClock.nowMs()
                if let account {
                    let retry = schedule.recordTransientFailure(of: account, retryAfterMs: retryAfter, nowMs: failedAtMs)
                    note("\(outcome.description) in \((retry - failedAtMs) / 1000) s", event: "refresh", account: accountID, level: .warning)
                }
            case .invalidated(_, _, let switched):
                counters.refreshFailures += 1
                schedule.recordSuccess(of: accountID)
                note(outcome.description, event: "refresh", account: accountID, level: .error)
                if let switched { note("switched to \(switched)", event: "switch", account: switched, level: .notice) }
            case .notFound:
                schedule.recordSuccess(of: accountID)
            }
        case .failure(let error):
            counters.refreshFailures += 1
            if let account { schedule.recordTransientFailure(of: account, retryAfterMs: nil, nowMs: WallClock.nowMs()) }
            note("refresh of \(accountID) failed: \(error)", event: "refresh", account: accountID, level: .error)
        }
    }

    private func pollTimeout(watchdogAtMs: Int64?, codeTrimAtMs: Int64?) -> Int32 {
        let nowMs = WallClock.nowMs()
        var deadlines: [Int64] = []
        for account in state?.accounts.accounts ?? [] {
            if !worker.isBusy, let due = schedule.dueTime(of: account, nowMs: nowMs) { deadlines.append(due - nowMs) }
            if account.exhaustedUntil > nowMs { deadlines.append(account.exhaustedUntil - nowMs) }
        }
        if let watchdogAtMs { deadlines.append(watchdogAtMs - WallClock.monotonicMs()) }
        if let codeTrimAtMs { deadlines.append(codeTrimAtMs - WallClock.monotonicMs()) }
        guard let soonest = deadlines.min() else { return -1 }
        return Int32(clamping: max(0, min(soonest, 3_600_000)))
    }

    // MARK: Status

    private func note(_ message: String, event: String, account: String? = nil, level: Logger.Level) {
        var metadata: Logger.Metadata = ["event": "\(event)"]
        if let account { metadata["account"] = "\(account)" }
        logger.log(level: level, "\(message)", metadata: metadata)
        if level >= .info { lastEvent = (WallClock.nowMs(), message) }
    }

    private func updateStatus() {
        guard notifier.isEnabled else { return }
        _ = try? notifier.status(statusLine())
    }

    private func statusLine() -> String {
        let nowMs = WallClock.nowMs()
        let accounts = state?.accounts.accounts ?? []
        let healthy = accounts.filter { $0.state(nowMs: nowMs) == .healthy }.count
        let next = accounts.compactMap { schedule.dueTime(of: $0, nowMs: nowMs) }.min()
        return "\(accounts.count) accounts (\(healthy) healthy), active \(state?.accounts.activeAccountID ?? "none")"
            + (next.map { ", next refresh in \(max(0, $0 - nowMs) / 1000) s" } ?? "")
    }

    private func answer(_ request: ControlRequest) -> JSONValue {
        switch request {
        case .status: statusDocument()
        case .ping: ControlReply.ok
        case .refresh: ControlReply.unsupported(request)
        }
    }

    private func statusDocument() -> JSONValue {
        DaemonStatusDocument(
            settings: configuration.settings,
            state: (try? store.read()) ?? state,
            schedule: schedule,
            counters: counters,
            startedMs: startedMs,
            refreshingID: refreshing?.id,
            lastEvent: lastEvent
        ).json(nowMs: WallClock.nowMs())
    }
}
