import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// Issue 20 item 4 with the daemon: killed while its `--http-exchange` child waits for a slow
/// server that then rotates the token, the daemon's successor presents the new token, never
/// the one the server replaced.
@Suite("daemon killed during a rotating refresh")
struct DaemonWriteAheadTests {
    /// Milliseconds the stand-in holds the refresh before it answers (and rotates).
    static let answerMs: Int64 = 4_000

    @Test(
        "kill -9 of the daemon at spread instants of a slow rotating refresh: 0 superseded tokens presented, 0 accounts invalidated",
        arguments: [Int64(300), 2_000, 3_700])
    func killDuringRotation(killAfterMs: Int64) async throws {
        let fixture = try await DaemonFixture()
        try fixture.standIn.configure(["faults": [["kind": "delay", "delay_ms": .int(Self.answerMs), "grant_type": "refresh_token"]]])
        let alice = try fixture.loginAs("alice", expiresInMs: 60_000)
        let first = try await fixture.startDaemon(refreshLead: 1_000)
        // The refresh is due at once; kill the daemon once the stand-in has counted the request.
        #expect(try await eventually(timeoutMs: 20_000) { try fixture.standIn.counter("refresh_requests") >= 1 })
        let killAt = WallClock.monotonicMs() + killAfterMs
        _ = await eventually(timeoutMs: killAfterMs + 1_000) { WallClock.monotonicMs() >= killAt }
        first.process.signal(SIGKILL)
        #expect(await first.process.waitForExit() == 128 + SIGKILL)
        // The orphaned child finishes the request and writes the rotation ahead.
        let journal = RotationJournal(path: try fixture.settings.rotationJournalPath)
        #expect(journal.waitForRequestsInFlight(timeout: .seconds(20)))
        #expect(try fixture.standIn.counter("successful_refreshes") == 1, "the server rotated the token")
        // Unless the daemon (on a busy machine) got to store the tokens before the kill, the
        // rotation is in the write-ahead, and only there.
        let live = try #require(try fixture.standIn.liveRefreshTokens(sub: "alice").first)
        #expect(try journal.read().entries.count == 1 || fixture.credentialsOnDisk()?.refreshToken == live)

        let second = try await fixture.startDaemon(refreshLead: 1_000)
        // The dead daemon's oauth_accounts.lock goes stale after 30 s; the new one then folds
        // the write-ahead in: the files hold the token the server rotated to.
        #expect(
            await eventually(timeoutMs: 60_000) {
                fixture.credentialsOnDisk()?.refreshToken == live && (fixture.credentialsOnDisk()?.expiryDate ?? 0) > alice.expiryDate
            })
        let account = try #require(try fixture.state().accounts.activeAccount)
        #expect(account.state(nowMs: WallClock.nowMs()) == .healthy)
        #expect(account.lastErrorCode == nil)
        #expect(try fixture.standIn.counter("dead_token_reuse") == 0, "a superseded token was presented")
        #expect(try fixture.standIn.liveRefreshTokens(sub: "alice") == [account.token.refreshToken])
        #expect(await second.process.stop() == 0)
    }
}
