import Glibc
import Logging
import QwenControl
import QwenOAuth
import QwenSyncCore
import QwenSystemd

/// `qwen-sync daemon`: one thread, one `poll` loop over inotify, the control socket, a signal
/// pipe, the worker's completion pipe, a wall-clock `timerfd`, and where they exist logind's
/// sleep announcements (``SleepWatcher``) and the kernel's route events (``NetworkWatcher``).
/// The loop only gathers
/// events, hands them with the time to ``DaemonCore``, performs the actions it returns, and
/// sleeps until the earliest deadline: refreshes and cooldown ends on the wall-clock timer
/// (which a clock step or a resume cancels, waking the loop), the watchdog, the code trim and
/// sync retries as the poll timeout. Idle, it makes no wakeups at all, except once,
/// ``DaemonCore/codeTrimQuietMs`` after a burst of events, to give back the code pages it ran
/// (``ResidentCode``).
public final class Daemon {
    private let configuration: DaemonConfiguration
    private let store: CredentialStore
    private let notifier = SystemdNotifier()
    private let logger: Logger
    private var core: DaemonCore
    /// The same files, with locks that are taken only if free at once (for the loop thread).
    private let storeWithoutWaiting: CredentialStore
    private let refresher: AccountRefresher
    private let worker = BackgroundWorker()
    /// The wall-clock timer (`CLOCK_REALTIME`, cancelled when the clock is set or the machine
    /// resumes), created by ``run()``.
    private var wallTimer: WallClockTimer?
    /// When the loop wakes up next on the monotonic clock.
    private var monotonicWakeUpMs: Int64?
    /// logind's sleep announcements, when there is a logind.
    private var sleepWatcher: SleepWatcher?
    /// The machine announced a sleep: release the inhibitor once nothing is in flight.
    private var sleepPending = false
    /// The control socket, created by ``run()``; refresh requests are answered through it later.
    private var server: ControlServer?
    /// Refresh requests taken by the control server this turn, handed to the core after it.
    private var refreshRequests: [DaemonRefreshRequest] = []

    /// A daemon for `configuration`, logging through `logger`.
    public init(configuration: DaemonConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        var store = CredentialStore(settings: configuration.settings)
        store.notice = { [logger] message in logger.notice("\(message)", metadata: ["event": "sync"]) }
        let lockWaitNotice = LockWaitObserver(firstAfter: .seconds(2), every: .seconds(10)) { wait in
            logger.notice("\(wait.description)", metadata: ["event": "lock"])
        }
        store.credentialsLockPolicy.waitObserver = lockWaitNotice
        store.accountsLockPolicy.waitObserver = lockWaitNotice
        self.store = store
        var immediate = store
        immediate.credentialsLockPolicy.maxWait = .zero
        immediate.accountsLockPolicy.maxWait = .zero
        storeWithoutWaiting = immediate
        refresher = AccountRefresher(store: store, client: OAuthClient(configuration: configuration.oauth))
        core = DaemonCore(leadMs: configuration.refreshLead.inMilliseconds)
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
        let timer = try WallClockTimer()
        wallTimer = timer
        let watcher: DirectoryWatcher
        let server: ControlServer
        do {
            watcher = try DirectoryWatcher(settings: settings)
            let inherited = (try? notifier.listenFDs())?.first { SystemdNotifier.isUnixStreamListener($0) }
            server = try ControlServer(path: settings.socketPath, inherited: inherited)
        } catch { throw .startup(error.description) }
        self.server = server
        defer { self.server = nil }  // the socket file goes with the server when run() returns

        logger.info(
            "qwen-sync \(QwenSyncVersion.current) serving \(settings.qwenDirectory), control socket \(server.path)",
            metadata: ["event": "start"]
        )
        let networkWatcher = watchLaptopEvents()
        let watchdogMs = notifier.watchdogInterval()?.inMilliseconds
        var running = perform(core.handle(.started(watchdogIntervalMs: watchdogMs), at: .now()))

        var ownDescriptors = [
            pollfd(fd: watcher.descriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: signals.descriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: worker.completionDescriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: timer.descriptor, events: Int16(POLLIN), revents: 0),
            // Absent sources are -1, which poll skips.
            pollfd(fd: sleepWatcher?.descriptor ?? -1, events: Int16(POLLIN), revents: 0),
            pollfd(fd: networkWatcher?.descriptor ?? -1, events: Int16(POLLIN), revents: 0),
        ]
        while running {
            ownDescriptors[4].fd = sleepWatcher?.descriptor ?? -1
            ownDescriptors[4].events = sleepWatcher?.pollEvents ?? Int16(POLLIN)
            // The control server's descriptors (listener and open connections) follow the loop's own.
            var descriptors = ownDescriptors + server.pollDescriptors
            let ready: Int32
            do {
                // The timeout is worked out again when a signal interrupted the wait.
                ready = try SystemCall.retrying {
                    poll(&descriptors, nfds_t(descriptors.count), server.pollTimeout(capping: pollTimeout(), nowMs: WallClock.monotonicMs()))
                }
            } catch { break }
            let controlActive = descriptors[ownDescriptors.count...].contains { $0.revents != 0 }
            var events: [DaemonEvent] = ready == 0 ? [.timerFired] : []
            if descriptors[1].revents != 0 { events += signals.drain().map { $0 == SIGHUP ? .reload : .stop } }
            if descriptors[0].revents != 0 {
                var trigger = watcher.drain()
                if trigger.contains(.credentialsDeleted) || access(settings.accountsPath, F_OK) != 0 || access(settings.credentialsPath, F_OK) != 0 {
                    trigger.formUnion(settle(watcher))
                }
                if trigger.contains(.directoryReturned) {
                    do { try instance.reassert() } catch {
                        logger.critical("\(error); stopping", metadata: ["event": "error"])
                        break
                    }
                }
                if !trigger.isEmpty { events.append(.filesChanged(trigger)) }
            }
            if controlActive { events.append(.controlRequest) }
            if descriptors[2].revents != 0, let output = worker.takeResult() { events.append(.finished(output)) }
            if descriptors[3].revents != 0 { events.append(timer.acknowledge() ? .clockChanged : .timerFired) }
            if descriptors[4].revents != 0 { events += sleepEvents() }
            if descriptors[5].revents != 0, networkWatcher?.drain() == true { events.append(.networkReturned) }
            for event in events where running { running = perform(core.handle(event, at: .now())) }
            if sleepPending, core.isQuiescent {
                sleepPending = false
                sleepWatcher?.releaseInhibitor()
                logger.debug("ready to sleep: nothing in flight, no lock held", metadata: ["event": "sleep"])
            }
            // Answered after the events of this turn: the document shows what they changed. A
            // connection is read and written without blocking, and closed at its deadline.
            server.service(descriptors[ownDescriptors.count...], nowMs: WallClock.monotonicMs(), answer: answer)
            // Refresh requests go to the core once the server is done with its connections.
            let requests = refreshRequests
            refreshRequests = []
            for request in requests where running { running = perform(core.handle(.refreshRequested(request), at: .now())) }
        }
        if running { _ = perform(core.handle(.stop, at: .now())) }  // an error ended the loop
        _ = try? notifier.stopping()
        worker.stop()
        if let output = worker.takeResult() { _ = perform(core.handle(.finished(output), at: .now())) }
    }

    // MARK: Laptop events

    /// Connects to logind and to the kernel's route events; either may be absent (a container,
    /// a plain run without a system bus): that is logged once at debug level, and clock steps
    /// and resumes are still followed by the wall-clock timer.
    private func watchLaptopEvents() -> NetworkWatcher? {
        do { sleepWatcher = try SleepWatcher() } catch {
            logger.debug("no logind to announce sleeps (\(error)); resumes are seen by the wall-clock timer", metadata: ["event": "start"])
        }
        do { return try NetworkWatcher() } catch {
            logger.debug("no route events (\(error)); failed refreshes wait out their back-off", metadata: ["event": "start"])
            return nil
        }
    }

    /// logind's announcements since the last look. Before a sleep the inhibitor is released once
    /// nothing is in flight (see the loop); after the resume it is taken again for the next one.
    private func sleepEvents() -> [DaemonEvent] {
        guard let watcher = sleepWatcher else { return [] }
        var events: [DaemonEvent] = []
        do {
            // Taking the inhibitor again may read further signals off the bus: drain until none.
            while case let announced = try watcher.drain(), !announced.isEmpty {
                for event in announced {
                    switch event {
                    case .preparingForSleep:
                        sleepPending = true
                        events.append(.suspending)
                    case .resumed:
                        sleepPending = false
                        do { try watcher.takeInhibitor() } catch {
                            logger.warning("cannot take logind's sleep inhibitor again: \(error)", metadata: ["event": "resume"])
                        }
                        events.append(.resumed)
                    }
                }
            }
        } catch {
            logger.warning("lost the system bus (\(error)); resumes are still seen by the wall-clock timer", metadata: ["event": "resume"])
            sleepWatcher = nil
        }
        return events
    }

    // MARK: Actions

    /// Performs `actions` in order; what an action reports back is handed to the core at once
    /// and its actions run before the rest (a work list, never recursion).
    ///
    /// - Returns: whether the loop keeps running.
    private func perform(_ actions: [DaemonAction]) -> Bool {
        var pending = actions[...]
        var keepRunning = true
        while let action = pending.popFirst() {
            guard let reply = perform(action, keepRunning: &keepRunning) else { continue }
            // The reply's actions end with a fresher wake-up than any still pending.
            pending = core.handle(reply, at: .now())[...] + pending.filter { if case .arm = $0 { false } else { true } }
        }
        return keepRunning
    }

    /// Performs one action; returns the event it produced, if any.
    private func perform(_ action: DaemonAction, keepRunning: inout Bool) -> DaemonEvent? {
        switch action {
        case .readFiles(_, _):
            // Never re-create a directory someone removed; the watcher rescans when it returns.
            let directory = configuration.settings.qwenDirectory
            guard access(directory, F_OK) == 0 else { return .directoryMissing(directory) }
            do { return .filesRead(try store.read()) } catch { return .readFailed(error.description) }
        case .write(let trigger, let remembered, let inline):
            return write(trigger, remembered: remembered, inline: inline)
        case .refresh(let accountID, let policy):
            worker.submit { [refresher] in
                .refreshed(accountID: accountID, Result { () throws(StoreError) in try refresher.refreshReportingState(accountID: accountID, policy: policy) })
            }
        case .log(let line):
            var metadata: Logger.Metadata = ["event": "\(line.event)"]
            if let account = line.account { metadata["account"] = "\(account)" }
            logger.log(level: line.level, "\(line.message)", metadata: metadata)
        case .pingWatchdog:
            _ = try? notifier.watchdogPing()
        case .trimCode:
            let releasedKB = ResidentCode.release()
            logger.debug("idle: gave back \(releasedKB) kB of code pages", metadata: ["event": "idle"])
        case .ready:
            _ = try? notifier.ready(status: core.statusLine(at: .now()))
        case .reloading:
            _ = try? notifier.reloading()
        case .status(let line):
            if notifier.isEnabled { _ = try? notifier.status(line) }
        case .reply(let requestID, let reply):
            server?.reply(reply, to: ControlServer.ReplyHandle(id: requestID), nowMs: WallClock.monotonicMs())
        case .stop:
            keepRunning = false
        case .arm(let wallMs, let monotonicMs):
            wallTimer?.arm(atMs: wallMs)
            monotonicWakeUpMs = monotonicMs
        }
        return nil
    }

    /// Applies the sync rules under the locks. In the common case nobody holds them: they are
    /// taken without waiting and the files written on this thread. Only when a peer holds one
    /// does the transaction go to the worker, which waits for it while the loop stays responsive.
    private func write(_ trigger: SyncTrigger, remembered: [StoredAccount], inline: Bool) -> DaemonEvent {
        let apply: @Sendable (inout CredentialState) -> SyncResult = { state in
            let events = SyncRules.apply(to: &state, trigger: trigger, nowMs: WallClock.nowMs(), remembered: remembered)
            return SyncResult(events: events, state: state)
        }
        let attempt = Result { () throws(StoreError) in try (inline ? store : storeWithoutWaiting).transaction(apply) }
        if case .failure(.lock(.timedOut)) = attempt, !inline {
            worker.submit { [store] in .synced(Result { () throws(StoreError) in try store.transaction(apply) }) }
            return .writeQueued
        }
        return .finished(.synced(attempt))
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

    /// Milliseconds until the monotonic wake-up, or -1 (wait for an event) when there is none.
    private func pollTimeout() -> Int32 {
        guard let due = monotonicWakeUpMs else { return -1 }
        return Int32(clamping: max(0, due.minus(WallClock.monotonicMs())))
    }

    // MARK: Status

    /// The answer to a control request; a refresh is answered later, by the core.
    private func answer(_ request: ControlRequest, handle: ControlServer.ReplyHandle) -> JSONValue? {
        switch request {
        case .status: return statusDocument()
        case .ping: return ControlReply.ok
        case .refresh(let account, let condition):
            refreshRequests.append(DaemonRefreshRequest(id: handle.id, account: account, condition: condition))
            return nil
        }
    }

    private func statusDocument() -> JSONValue {
        DaemonStatusDocument(
            settings: configuration.settings,
            state: core.state,
            schedule: core.schedule,
            counters: core.counters,
            startedMs: core.startedMs,
            refreshingID: core.refreshingID,
            lastEvent: core.lastEvent,
            syncError: core.syncError.map { DaemonStatus.SyncError(sinceMs: $0.sinceMs, message: $0.message) },
            clock: core.lastClockEvent.map {
                DaemonStatus.ClockJump(lastJumpAtMs: $0.atMs, kind: $0.kind.rawValue, stepSeconds: $0.stepMs / 1000, action: $0.action)
            }
        ).json(nowMs: WallClock.nowMs())
    }
}
