import QwenOAuth
import QwenSyncCore
import Testing

@testable import QwenSyncDaemon

/// Every timing rule of the daemon, driven through ``DaemonCore`` with a fake clock in
/// milliseconds: no process, no sleep. ``Scene`` plays the loop: it answers the core's reads and
/// writes from files kept in memory and hands the results back, the way `Daemon` does with the
/// real files.
@Suite("DaemonCore")
struct DaemonCoreTests {
    static let start: Int64 = 1_800_000_000_000
    static let minute: Int64 = 60_000
    static let hour: Int64 = 3_600_000
    static let lead = RefreshSchedule.defaultLeadMs

    /// The loop around the core, with the files in memory and both clocks in hand.
    struct Scene {
        var core: DaemonCore
        var files: CredentialState
        var now = DaemonInstant(wallMs: DaemonCoreTests.start, monotonicMs: 50_000)
        /// Every action performed, in order.
        var performed: [DaemonAction] = []
        /// The latest wake-ups asked for.
        var wakeUps: (wallMs: Int64?, monotonicMs: Int64?) = (nil, nil)
        /// Writes fail with this error while it is set.
        var writeError: StoreError?
        /// The refresh the worker is running, if any.
        var refreshInFlight: (accountID: String, policy: RefreshPolicy)?

        init(accounts: [StoredAccount], active: String?, leadMs: Int64 = DaemonCoreTests.lead, watchdogMs: Int64? = nil) {
            core = DaemonCore(leadMs: leadMs)
            let document = TokenFactory.document(accounts, active: active)
            files = CredentialState(accounts: document, credentials: active.flatMap { document.account(id: $0)?.token })
            handle(.started(watchdogIntervalMs: watchdogMs))
        }

        /// Hands `event` to the core and performs what it returns, answering reads and writes
        /// at once (a work list, like the daemon's loop).
        @discardableResult
        mutating func handle(_ event: DaemonEvent) -> [DaemonAction] {
            var pending = core.handle(event, at: now)[...]
            var done: [DaemonAction] = []
            while let action = pending.popFirst() {
                done.append(action)
                var reply: DaemonEvent?
                switch action {
                case .readFiles: reply = .filesRead(files)
                case .write(let trigger, let remembered, _):
                    if let writeError {
                        reply = .finished(.synced(.failure(writeError)))
                    } else {
                        var state = files
                        let events = SyncRules.apply(to: &state, trigger: trigger, nowMs: now.wallMs, remembered: remembered)
                        files = state
                        reply = .finished(.synced(.success(SyncResult(events: events, state: state))))
                    }
                case .refresh(let accountID, let policy):
                    refreshInFlight = (accountID, policy)
                case .arm(let wall, let monotonic):
                    wakeUps = (wall, monotonic)
                default: break
                }
                if let reply { pending = core.handle(reply, at: now)[...] + pending.filter { if case .arm = $0 { false } else { true } } }
            }
            performed += done
            return done
        }

        /// Moves both clocks by `ms` (the machine ran) and fires the timers that came due.
        mutating func advance(_ ms: Int64) {
            now.wallMs += ms
            now.monotonicMs += ms
            handle(.timerFired)
        }

        /// Lets time run to the earliest wake-up asked for (or by `atMostMs`), as `poll` would.
        mutating func sleepUntilWakeUp(atMostMs: Int64 = 24 * DaemonCoreTests.hour) {
            let wall = wakeUps.wallMs.map { $0 - now.wallMs } ?? .max
            let monotonic = wakeUps.monotonicMs.map { $0 - now.monotonicMs } ?? .max
            advance(max(0, min(wall, monotonic, atMostMs)))
        }

        /// Lets time run from wake-up to wake-up until `condition` holds (at most 100 wake-ups).
        mutating func runUntil(_ condition: (Scene) -> Bool) {
            for _ in 0..<100 where !condition(self) { sleepUntilWakeUp() }
        }

        /// The worker finishes the refresh in flight: the server rotated the token, which now
        /// expires `expiresInMs` from now.
        mutating func finishRefresh(expiresInMs: Int64 = DaemonCoreTests.hour * 6) {
            guard let (accountID, _) = refreshInFlight else { return }
            refreshInFlight = nil
            let expiry = now.wallMs + expiresInMs
            _ = files.accounts.update(id: accountID) { account in
                account = TokenFactory.account(accountID, TokenFactory.credentials(sub: accountID, refresh: "rt-\(accountID)-\(expiry)", expiry: expiry))
            }
            if files.accounts.activeAccountID == accountID { files.credentials = files.accounts.account(id: accountID)?.token }
            handle(.finished(.refreshed(accountID: accountID, .success((.refreshed(accountID: accountID, expiresAtMs: expiry), files)))))
        }

        /// The worker finishes the refresh in flight with a network failure.
        mutating func failRefresh() {
            guard let (accountID, _) = refreshInFlight else { return }
            refreshInFlight = nil
            let outcome = RefreshOutcome.transientFailure(accountID: accountID, reason: "the server answered 500", retryAfterMs: nil)
            handle(.finished(.refreshed(accountID: accountID, .success((outcome, files)))))
        }

        /// The log lines performed so far.
        var logLines: [DaemonLogLine] {
            performed.compactMap { if case .log(let line) = $0 { line } else { nil } }
        }

        func count(_ matching: (DaemonAction) -> Bool) -> Int { performed.filter(matching).count }
    }

    static func account(_ id: String, expiry: Int64, until: Int64 = 0, refresh: String? = nil) -> StoredAccount {
        TokenFactory.account(id, TokenFactory.credentials(sub: id, refresh: refresh ?? "rt-\(id)", expiry: expiry), until: until)
    }

    static func isRefresh(_ action: DaemonAction) -> Bool { if case .refresh = action { true } else { false } }
    static func isRead(_ action: DaemonAction) -> Bool { if case .readFiles = action { true } else { false } }
    static func isWrite(_ action: DaemonAction) -> Bool { if case .write = action { true } else { false } }
    static func isPing(_ action: DaemonAction) -> Bool { action == .pingWatchdog }
    static func isTrim(_ action: DaemonAction) -> Bool { action == .trimCode }

    // MARK: Lead and jitter

    @Test("40-min lead: an account is refreshed 40 min (plus its jitter) before expiry, not a millisecond earlier")
    func fortyMinuteLead() throws {
        let expiry = Self.start + 3 * Self.hour
        var scene = Scene(accounts: [Self.account("A", expiry: expiry)], active: "A")
        #expect(scene.count(Self.isWrite) == 0, "files that agree need no write")
        let due = try #require(scene.wakeUps.wallMs, "a wall-clock wake-up for the refresh")
        #expect(expiry - due >= Self.lead && expiry - due < Self.lead + 120_000)
        #expect(scene.wakeUps.monotonicMs != nil, "the code trim after start-up")
        scene.advance(due - 1 - scene.now.wallMs)
        #expect(scene.refreshInFlight == nil, "not due a millisecond before")
        scene.advance(1)
        let refresh = try #require(scene.refreshInFlight)
        #expect(refresh.accountID == "A")
        #expect(refresh.policy == .ifExpiringWithin(.milliseconds(Self.lead + 120_000 + 1_000)))
        scene.finishRefresh()
        #expect(scene.core.counters.refreshes == 1)
        #expect(try #require(scene.wakeUps.wallMs) > scene.now.wallMs + 5 * Self.hour - Self.lead - 120_000, "next refresh for the new token")
    }

    @Test("jitter bounds: accounts expiring together are refreshed within [expiry − lead − 120 s, expiry − lead], spread apart")
    func jitterBounds() {
        let expiry = Self.start + 2 * Self.hour
        let accounts = (0..<20).map { Self.account("acct_\($0)", expiry: expiry) }
        var scene = Scene(accounts: accounts, active: "acct_0")
        var refreshedAt: [String: Int64] = [:]
        while refreshedAt.count < accounts.count, scene.now.wallMs < expiry {
            scene.sleepUntilWakeUp()
            if let (id, _) = scene.refreshInFlight {
                refreshedAt[id] = scene.now.wallMs
                scene.finishRefresh()
            }
        }
        #expect(refreshedAt.count == 20)
        for (id, at) in refreshedAt {
            #expect(at >= expiry - Self.lead - 120_000 && at <= expiry - Self.lead, "\(id) at \(expiry - at) ms before expiry")
        }
        #expect(Set(refreshedAt.values).count > 10, "spread: \(Set(refreshedAt.values).count) distinct times")
    }

    // MARK: Clock steps

    @Test("8-hour forward jump: every due account is refreshed at once, the active one first, one after the other")
    func eightHourForwardJump() throws {
        let accounts = [Self.account("B", expiry: Self.start + 2 * Self.hour), Self.account("A", expiry: Self.start + 3 * Self.hour)]
        var scene = Scene(accounts: accounts, active: "A")
        #expect(scene.files.accounts.activeAccountID == "A", "start-up keeps A active")
        scene.now.wallMs += 8 * Self.hour  // the wall clock moved; the monotonic clock did not
        let actions = scene.handle(.clockChanged)
        #expect(actions.contains { if case .log(let line) = $0 { line.event == "clock" && line.message.contains("28800 s") } else { false } })
        #expect(scene.refreshInFlight?.accountID == "A", "the active account first although B expires earlier")
        scene.finishRefresh()
        #expect(scene.refreshInFlight?.accountID == "B", "then the next due account, at once")
        scene.finishRefresh()
        #expect(scene.refreshInFlight == nil)
        #expect(scene.count(Self.isRefresh) == 2)
    }

    @Test("backward step of 1 h: no refresh storm, no missed refresh, a retry stays seconds away")
    func backwardStep() throws {
        let expiry = Self.start + 3 * Self.hour
        var scene = Scene(accounts: [Self.account("A", expiry: expiry), Self.account("B", expiry: Self.start + 30 * Self.minute)], active: "A")
        // B is due at once (inside the lead) and fails: a retry 2 s later.
        #expect(scene.refreshInFlight?.accountID == "B")
        scene.failRefresh()
        let retryAt = try #require(scene.wakeUps.wallMs)
        #expect(retryAt == scene.now.wallMs + 2_000)
        scene.now.wallMs -= Self.hour
        scene.handle(.clockChanged)
        #expect(scene.refreshInFlight == nil, "nothing new is due after a backward step")
        #expect(scene.wakeUps.wallMs == retryAt - Self.hour, "the retry moved with the clock: still 2 s away")
        scene.advance(2_000)
        #expect(scene.refreshInFlight?.accountID == "B", "the retry happens 2 s later, not an hour later")
        scene.finishRefresh()
        // A's refresh is still due at its wall-clock time: the clock has to get there again.
        let due = try #require(scene.wakeUps.wallMs)
        #expect(expiry - due >= Self.lead && expiry - due < Self.lead + 120_000)
        scene.runUntil { $0.refreshInFlight != nil || $0.now.wallMs >= expiry }
        #expect(scene.refreshInFlight?.accountID == "A", "not missed")
        #expect(scene.count(Self.isRefresh) == 3, "B, its retry and A: no storm")
    }

    // MARK: Back-off

    @Test("backoff after an outage: 2 s doubling, capped at 10 s once the token is inside a client's window; recovery at the next retry")
    func backoffAfterOutage() throws {
        var scene = Scene(accounts: [Self.account("A", expiry: Self.start + 20 * Self.minute)], active: "A")
        var gaps: [Int64] = []
        var last = scene.now.wallMs
        for _ in 0..<8 {
            #expect(scene.refreshInFlight?.accountID == "A")
            scene.failRefresh()
            scene.runUntil { $0.refreshInFlight != nil }
            gaps.append(scene.now.wallMs - last)
            last = scene.now.wallMs
        }
        #expect(gaps == [2_000, 4_000, 8_000, 10_000, 10_000, 10_000, 10_000, 10_000], "\(gaps)")
        let retry = try #require(scene.refreshInFlight)
        #expect(retry.policy == .unlessRotatedSince(refreshToken: "rt-A"), "a retry refreshes only while the failed token is still there")
        scene.finishRefresh()
        #expect(scene.core.schedule.retryAtMs["A"] == nil, "retry state forgotten after success")
        #expect(scene.core.counters.refreshFailures == 8)
    }

    @Test("a peer's fresher token ends a retry back-off")
    func peerRefreshClearsBackoff() throws {
        var scene = Scene(accounts: [Self.account("A", expiry: Self.start + 20 * Self.minute)], active: "A")
        scene.failRefresh()
        #expect(scene.core.schedule.retryAtMs["A"] != nil)
        _ = scene.files.accounts.update(id: "A") {
            $0 = Self.account("A", expiry: Self.start + 6 * Self.hour, refresh: "rt-A-by-a-peer")
        }
        scene.files.credentials = scene.files.accounts.account(id: "A")?.token
        scene.handle(.filesChanged(.accountsChanged))
        #expect(scene.core.schedule.retryAtMs["A"] == nil)
        #expect(scene.refreshInFlight == nil)
    }

    @Test("network returned: a refresh waiting out its back-off is tried at once")
    func networkReturned() {
        var scene = Scene(accounts: [Self.account("A", expiry: Self.start + 20 * Self.minute)], active: "A")
        for _ in 0..<5 {
            scene.failRefresh()
            scene.runUntil { $0.refreshInFlight != nil }
        }
        scene.failRefresh()
        scene.now.wallMs += 100
        scene.now.monotonicMs += 100
        scene.handle(.networkReturned)
        #expect(scene.refreshInFlight?.accountID == "A")
    }

    @Test("suspending: nothing new starts before the resume; at the resume every due account is refreshed")
    func suspendAndResume() {
        var scene = Scene(accounts: [Self.account("A", expiry: Self.start + 3 * Self.hour)], active: "A")
        scene.handle(.suspending)
        scene.now.wallMs += 3 * Self.hour  // asleep: only the wall clock moves
        scene.handle(.filesChanged(.accountsChanged))
        #expect(scene.refreshInFlight == nil, "not while the machine goes to sleep")
        scene.handle(.clockChanged)
        #expect(scene.refreshInFlight?.accountID == "A")
    }

    // MARK: Cooldowns

    @Test("cooldown expiry: the loop wakes when a cooldown ends, logs it and rescans")
    func cooldownExpiry() throws {
        let until = Self.start + 10 * Self.minute
        var scene = Scene(
            accounts: [Self.account("A", expiry: Self.start + 6 * Self.hour), Self.account("B", expiry: Self.start + 6 * Self.hour, until: until)],
            active: "A")
        #expect(scene.wakeUps.wallMs == until)
        let readsBefore = scene.count(Self.isRead)
        scene.runUntil { $0.now.wallMs >= until }
        #expect(scene.now.wallMs == until)
        #expect(scene.logLines.contains { $0.message == "B's cooldown has ended" && $0.event == "cooldown" })
        #expect(scene.count(Self.isRead) == readsBefore + 1, "a full scan follows")
        #expect(try #require(scene.wakeUps.wallMs) > until, "not woken again for the same cooldown")
    }

    // MARK: Deferred syncs

    @Test("deferred sync while busy: file events during a refresh are synced once it ends, with a full scan")
    func deferredSyncWhileBusy() throws {
        var scene = Scene(accounts: [Self.account("A", expiry: Self.start + 10 * Self.minute)], active: "A")
        #expect(scene.refreshInFlight != nil)
        let readsBefore = scene.count(Self.isRead)
        scene.handle(.filesChanged(.credentialsChanged))
        scene.handle(.filesChanged(.accountsChanged))
        #expect(scene.count(Self.isRead) == readsBefore, "no sync while the worker is busy")
        #expect(scene.wakeUps.wallMs == nil, "no refresh wake-up while the worker is busy")
        let actions: [DaemonAction] = {
            scene.finishRefresh()
            return Array(scene.performed.suffix(from: scene.performed.lastIndex { Self.isRead($0) } ?? 0))
        }()
        #expect(actions.first == .readFiles(.fullScan, inline: false))
        #expect(scene.count(Self.isRead) == readsBefore + 1, "one sync for all of them")
    }

    // MARK: Failing writes

    @Test("persistent write failure: retried with a back-off capped at 10 s, one log line per state change, visible in status")
    func persistentWriteFailure() throws {
        var scene = Scene(accounts: [Self.account("A", expiry: Self.start + 6 * Self.hour)], active: "A")
        scene.writeError = .file(FileError(path: "/q/oauth_creds.json", reason: "cannot rename", code: 2))
        // A peer's write makes the credentials file differ: the sync must write, and fails.
        scene.files.credentials = nil
        scene.handle(.filesChanged(.credentialsDeleted))
        #expect(scene.count(Self.isWrite) == 1)
        #expect(scene.core.syncError?.message.contains("rename") == true)
        #expect(scene.core.statusLine(at: scene.now).contains("sync failing"))
        var gaps: [Int64] = []
        var last = scene.now.monotonicMs
        for _ in 0..<8 {
            let writes = scene.count(Self.isWrite)
            // File events meanwhile (a peer, or the failing writer's own temp files) wait for the retry.
            scene.handle(.filesChanged(.credentialsChanged))
            #expect(scene.count(Self.isWrite) == writes)
            scene.runUntil { $0.count(Self.isWrite) > writes }
            #expect(scene.count(Self.isWrite) == writes + 1)
            gaps.append(scene.now.monotonicMs - last)
            last = scene.now.monotonicMs
        }
        #expect(gaps == [1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000, 10_000], "\(gaps)")
        #expect(scene.logLines.filter { $0.message.hasPrefix("sync failed") }.count == 1, "\(scene.logLines.map(\.message))")
        scene.writeError = nil
        let writes = scene.count(Self.isWrite)
        scene.runUntil { $0.count(Self.isWrite) > writes }
        #expect(scene.core.syncError == nil)
        #expect(scene.files.credentials != nil, "the file was written at last")
        #expect(scene.logLines.filter { $0.message.hasPrefix("syncing works again") }.count == 1)
        #expect(scene.wakeUps.monotonicMs.map { $0 > scene.now.monotonicMs + 4_000 } ?? true, "no more retries")
    }

    // MARK: Watchdog and code trim

    @Test("watchdog only when turning: a ping is returned by an event handled at or after its time, once per interval")
    func watchdogOnlyWhenTurning() throws {
        var scene = Scene(accounts: [Self.account("A", expiry: Self.start + 6 * Self.hour)], active: "A", watchdogMs: 10_000)
        #expect(scene.count(Self.isPing) == 0)
        #expect(try #require(scene.wakeUps.monotonicMs) <= scene.now.monotonicMs + 10_000)
        scene.now.monotonicMs += 3_000
        scene.handle(.controlRequest)
        #expect(scene.count(Self.isPing) == 0, "not before its time")
        scene.now.monotonicMs += 7_000
        scene.handle(.controlRequest)
        #expect(scene.count(Self.isPing) == 1)
        scene.handle(.timerFired)
        #expect(scene.count(Self.isPing) == 1, "once per interval")
        // A loop that does not turn hands no event: no ping comes from anywhere else.
        scene.now.monotonicMs += 60_000
        #expect(scene.count(Self.isPing) == 1)
        scene.handle(.timerFired)
        #expect(scene.count(Self.isPing) == 2)
    }

    @Test("code-trim after a burst: 5 s after the last event, never while the worker is busy, then no wake-ups at all")
    func codeTrimAfterBurst() throws {
        var scene = Scene(accounts: [Self.account("A", expiry: Self.start + 6 * Self.hour)], active: "A")
        for _ in 0..<5 {
            scene.now.monotonicMs += 1_000
            scene.now.wallMs += 1_000
            scene.handle(.controlRequest)
        }
        let lastEvent = scene.now.monotonicMs
        #expect(scene.wakeUps.monotonicMs == lastEvent + DaemonCore.codeTrimQuietMs)
        scene.sleepUntilWakeUp()
        #expect(scene.now.monotonicMs == lastEvent + 5_000)
        #expect(scene.count(Self.isTrim) == 1)
        #expect(scene.wakeUps.monotonicMs == nil, "idle: nothing on the monotonic clock")
        #expect(scene.wakeUps.wallMs != nil, "only the refresh, hours away")

        // While a refresh runs, the trim waits for it.
        var busy = Scene(accounts: [Self.account("A", expiry: Self.start + 10 * Self.minute)], active: "A")
        #expect(busy.refreshInFlight != nil)
        busy.advance(6_000)
        #expect(busy.count(Self.isTrim) == 0)
        busy.finishRefresh()
        busy.advance(5_000)
        #expect(busy.count(Self.isTrim) == 1)
    }

    // MARK: Numbers from the files

    @Test("expiry_date of Int64.min or Int64.max does not trap: the first is due at once, the second never wakes the loop early")
    func extremeExpiry() throws {
        var scene = Scene(
            accounts: [Self.account("A", expiry: .max), Self.account("B", expiry: .min)], active: "A")
        #expect(scene.refreshInFlight?.accountID == "B")
        scene.failRefresh()
        #expect(scene.core.statusLine(at: scene.now).contains("2 accounts"))
        let wall = try #require(scene.wakeUps.wallMs)
        #expect(wall > scene.now.wallMs && wall <= scene.now.wallMs + 2_000, "B's retry")
        var schedule = RefreshSchedule(leadMs: Self.lead)
        let retry = schedule.recordTransientFailure(of: Self.account("C", expiry: .min), retryAfterMs: .max, nowMs: .max)
        #expect(retry == .max)
        schedule.shift(by: .max)
        #expect(schedule.retryAtMs["C"] == .max)
        #expect(RefreshSchedule.hardDeadline(of: Self.account("C", expiry: .min)) == .min)
    }

    // MARK: Stop

    @Test("SIGTERM stops the loop; a refresh finishing afterwards is still taken in, and nothing new starts")
    func stopLetsTheRefreshFinish() {
        var scene = Scene(accounts: [Self.account("A", expiry: Self.start + 10 * Self.minute)], active: "A")
        let actions = scene.handle(.stop)
        #expect(actions.contains(.stop))
        let reads = scene.count(Self.isRead)
        scene.finishRefresh()
        #expect(scene.core.counters.refreshes == 1)
        #expect(scene.count(Self.isRead) == reads, "no sync after stopping")
        #expect(scene.wakeUps.wallMs == nil)
    }
}
