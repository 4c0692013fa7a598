import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// Issue #18's clock steps with a real daemon: `qwen-syncd` runs under libfaketime (Debian's
/// `faketime` package), whose wall clock the test moves through a timestamp file while the
/// monotonic clock is left alone (`FAKETIME_DONT_FAKE_MONOTONIC=1`). `qwen-syncd` is started
/// directly: `LD_PRELOAD` reaches every child, and under it `qwen-sync daemon` hands over no
/// arguments.
///
/// libfaketime moves only the clock the process reads, so the kernel never sees a step and
/// never cancels the daemon's `CLOCK_REALTIME` timer (that path is `DaemonCoreTests`'
/// `clockChanged`). What this shows is the other half: whatever event comes next, the loop
/// reads both clocks afresh and acts on what the jump made due. A `status` request is that
/// event here.
@Suite("daemon: clock steps, seen at the next event", .serialized)
struct ClockStepNextEventEndToEndTests {
    static let library = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
    static let minute: Int64 = 60_000

    /// Starts `qwen-syncd` under libfaketime with the offset read from `offsetFile`.
    private func startFaked(_ fixture: DaemonFixture, offsetFile: String) async throws -> (process: ChildProcess, log: String) {
        let log = fixture.directory.appending("syncd.log")
        let process = try ChildProcess(
            BuiltProducts.path(of: "qwen-syncd"), [],
            environment: fixture.environment([
                "LD_PRELOAD": Self.library, "FAKETIME_TIMESTAMP_FILE": offsetFile, "FAKETIME_DONT_FAKE_MONOTONIC": "1",
                "FAKETIME_NO_CACHE": "1", "QWEN_SYNC_REFRESH_LEAD": "2400",
            ]),
            stderr: log
        )
        let serving = await eventually(timeoutMs: 30_000) { !process.isRunning || fixture.ping() }
        guard serving, process.isRunning else { throw TestSupportError("qwen-syncd did not start: \(DaemonFixture.read(log) ?? "")") }
        return (process, log)
    }

    @Test(
        "the wall clock jumps 45 min forward while the monotonic clock does not: the refresh it made due follows at the loop's next turn (2 s on a quiet machine)",
        .enabled(if: access(library, R_OK) == 0, "needs libfaketime (apt-get install faketime)"))
    func fortyFiveMinutesForward() async throws {
        let fixture = try await DaemonFixture()
        let offsetFile = fixture.directory.appending("faketime")
        try DaemonFixture.replace(offsetFile, with: Array("+0\n".utf8))
        // 60 min left, lead 40 min: due in about 20 min; after the jump only 15 min are left.
        try fixture.loginAs("alice", expiresInMs: 60 * Self.minute)
        let daemon = try await startFaked(fixture, offsetFile: offsetFile)
        let next = try fixture.status()["accounts"]?.arrayValue?.first?.objectValue?["next_refresh_at_ms"]?.int64Value
        #expect(try #require(next) > WallClock.nowMs() + 15 * Self.minute, "not due before the jump")
        #expect(try fixture.standIn.counter("refresh_requests") == 0)

        try DaemonFixture.replace(offsetFile, with: Array("+45m\n".utf8))
        let jumpedAtMs = WallClock.nowMs()  // this process's clock is not faked
        _ = try fixture.status()
        let refreshed = await eventually(timeoutMs: 20_000) { (try? fixture.standIn.counter("successful_refreshes")) == 1 }
        #expect(refreshed, "\(DaemonFixture.read(daemon.log) ?? "")")
        // The figure is the stand-in's answer time (its clock is not faked either). Issue #18 asks
        // for 2 s; the bound leaves room for a busy CI machine starting a faked child process.
        let answeredAtMs = try #require(try fixture.standIn.requests().first { $0.grantType == "refresh_token" }?.atMs)
        let elapsed = answeredAtMs - jumpedAtMs
        #expect(elapsed <= 10_000, "refreshed \(elapsed) ms after the jump")
        #expect(await daemon.process.stop() == 0)
        print("clock step +45 min: refreshed \(elapsed) ms after the jump")
    }

    @Test(
        "the wall clock steps 1 h back: no refresh storm, and the account's refresh stays where its expiry puts it",
        .enabled(if: access(library, R_OK) == 0, "needs libfaketime (apt-get install faketime)"))
    func oneHourBack() async throws {
        let fixture = try await DaemonFixture()
        let offsetFile = fixture.directory.appending("faketime")
        try DaemonFixture.replace(offsetFile, with: Array("+0\n".utf8))
        try fixture.loginAs("alice", expiresInMs: 60 * Self.minute)
        let daemon = try await startFaked(fixture, offsetFile: offsetFile)
        let nextRefresh = { try fixture.status()["accounts"]?.arrayValue?.first?.objectValue?["next_refresh_at_ms"]?.int64Value }
        let before = try #require(try nextRefresh())

        try DaemonFixture.replace(offsetFile, with: Array("-1h\n".utf8))
        // The status request is the loop's next turn; its answer is built after the turn's events.
        #expect(try nextRefresh() == before, "a due time follows the token's expiry, not the clock's step")
        // Then a file event: the loop turns again, with the clock an hour back.
        try fixture.loginAs("bob", expiresInMs: 6 * 60 * Self.minute)
        #expect(try await eventually(timeoutMs: 20_000) { try fixture.state().accounts.accounts.count == 2 })
        #expect(try fixture.standIn.counter("refresh_requests") == 0, "nothing became due by stepping back")
        #expect(daemon.process.isRunning)
        #expect(await daemon.process.stop() == 0)
    }
}
