import QwenSyncCore
import Testing

@testable import QwenSyncDaemon

/// The sleep and resume rules of ``DaemonCore`` (#18), driven like ``DaemonCoreTests`` with a
/// fake clock: nothing starts between `PrepareForSleep(true)` and the resume, the work in flight
/// ends first, and a resume refreshes every due account at once with one log line.
@Suite("DaemonCore: sleep and resume")
struct SleepResumeCoreTests {
    typealias Scene = DaemonCoreTests.Scene
    static let start = DaemonCoreTests.start
    static let hour = DaemonCoreTests.hour
    static let minute = DaemonCoreTests.minute

    static func lines(_ actions: [DaemonAction], event: String) -> [DaemonLogLine] {
        actions.compactMap { if case .log(let line) = $0, line.event == event { line } else { nil } }
    }

    @Test("before sleep: the refresh in flight finishes, nothing new starts, no wake-up is armed for due work")
    func nothingStartsWhileSuspended() throws {
        let accounts = [
            DaemonCoreTests.account("A", expiry: Self.start + 20 * Self.minute), DaemonCoreTests.account("B", expiry: Self.start + 25 * Self.minute),
        ]
        var scene = Scene(accounts: accounts, active: "A")
        #expect(scene.refreshInFlight?.accountID == "A", "A is due at once")
        let announced = scene.handle(.suspending)
        #expect(Self.lines(announced, event: "sleep").count == 1)
        #expect(!scene.core.isQuiescent, "A's refresh is still in flight: the sleep must wait")
        scene.finishRefresh()
        #expect(scene.core.isQuiescent, "nothing in flight once A is stored")
        #expect(scene.refreshInFlight == nil, "B is due but does not start before the sleep")
        #expect(scene.wakeUps.wallMs == nil, "no wall-clock wake-up for work that must wait (it would spin)")
        scene.handle(.filesChanged(.accountsChanged))
        #expect(scene.core.isQuiescent, "a peer's change is synced after the resume, not under a lock now")
    }

    @Test("resume: one resume entry saying what is done, every due account refreshed at once, the active first; the timer's echo adds nothing")
    func resumeRefreshesDueAccounts() throws {
        let accounts = [DaemonCoreTests.account("B", expiry: Self.start + 2 * Self.hour), DaemonCoreTests.account("A", expiry: Self.start + 3 * Self.hour)]
        var scene = Scene(accounts: accounts, active: "A")
        scene.handle(.suspending)
        scene.now.wallMs += 8 * Self.hour  // asleep all night: the monotonic clock stood still
        let resumed = scene.handle(.resumed)
        let entries = Self.lines(resumed, event: "resume")
        #expect(entries.count == 1)
        #expect(entries.first?.message.contains("refreshing 2 due accounts, the active (A) first") == true)
        #expect(resumed.contains(where: DaemonCoreTests.isRead), "everything is re-checked")
        #expect(scene.refreshInFlight?.accountID == "A")
        let clock = try #require(scene.core.lastClockEvent)
        #expect(clock.kind == .resume && clock.atMs == scene.now.wallMs && clock.stepMs == 8 * Self.hour)
        scene.now.monotonicMs += 50
        let echo = scene.handle(.clockChanged)
        #expect(Self.lines(echo, event: "clock").isEmpty && Self.lines(echo, event: "resume").isEmpty, "one entry per resume")
        scene.finishRefresh()
        #expect(scene.refreshInFlight?.accountID == "B", "then B, at once")
        scene.finishRefresh()
        #expect(scene.count(DaemonCoreTests.isRefresh) == 2)
    }

    @Test("the cancelled wall-clock timer alone (no logind) ends the sleep as a resume")
    func timerAloneIsAResume() throws {
        var scene = Scene(accounts: [DaemonCoreTests.account("A", expiry: Self.start + 2 * Self.hour)], active: "A")
        scene.handle(.suspending)
        scene.now.wallMs += 2 * Self.hour
        let actions = scene.handle(.clockChanged)
        #expect(Self.lines(actions, event: "resume").count == 1)
        #expect(scene.core.lastClockEvent?.kind == .resume)
        #expect(scene.refreshInFlight?.accountID == "A")
    }

    @Test("a clock set to the time it showed, while asleep or awake, is neither a resume nor an entry")
    func zeroStep() throws {
        var scene = Scene(accounts: [DaemonCoreTests.account("A", expiry: Self.start + 2 * Self.hour)], active: "A")
        scene.handle(.suspending)
        scene.now.monotonicMs += 10
        scene.now.wallMs += 10
        let actions = scene.handle(.clockChanged)
        #expect(scene.core.suspended, "still waiting for the sleep")
        #expect(Self.lines(actions, event: "clock").isEmpty && Self.lines(actions, event: "resume").isEmpty)
        #expect(scene.core.lastClockEvent == nil)
    }

    @Test("a clock step while awake is a step: one clock entry, recorded for status")
    func stepWhileAwake() throws {
        var scene = Scene(accounts: [DaemonCoreTests.account("A", expiry: Self.start + 3 * Self.hour)], active: "A")
        scene.now.wallMs += 45 * Self.minute
        let actions = scene.handle(.clockChanged)
        #expect(Self.lines(actions, event: "clock").count == 1)
        let clock = try #require(scene.core.lastClockEvent)
        #expect(clock.kind == .step && clock.stepMs == 45 * Self.minute && clock.action == "nothing was due")
    }

    @Test("a sleep that never comes: after 60 s awake without a resume, work starts again")
    func sleepNeverCame() throws {
        var scene = Scene(accounts: [DaemonCoreTests.account("A", expiry: Self.start + 20 * Self.minute)], active: "A")
        scene.finishRefresh()
        scene.handle(.suspending)
        let wake = try #require(scene.wakeUps.monotonicMs)
        #expect(wake <= scene.now.monotonicMs + DaemonCore.sleepNeverCameMs)
        scene.runUntil { !$0.core.suspended }
        #expect(!scene.core.suspended)
        #expect(scene.logLines.contains { $0.event == "sleep" && $0.message.contains("never came") })
    }
}
