import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// The daemon against a peer that holds a lock: it waits without blocking its loop, says so
/// in its log after 2 s, and syncs as soon as the lock is deleted.
@Suite("daemon: waiting for a peer's lock")
struct LockWaitEndToEndTests {
    @Test("a change made while a peer holds oauth_accounts.lock is logged as a long wait and synced once the lock goes")
    func waitsForPeerLock() async throws {
        let fixture = try await DaemonFixture()
        let alice = try fixture.loginAs("alice", expiresInMs: 3_600_000)
        let daemon = try await fixture.startDaemon()
        #expect(try await eventually { try fixture.state().accounts.activeAccount?.token == alice })
        let aliceID = try #require(try fixture.state().accounts.activeAccountID)

        // A live peer (this test process) takes the accounts lock in the plugin's form.
        let lockPath = fixture.qwenDirectory + "/oauth_accounts.lock"
        let descriptor = open(lockPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        try #require(descriptor >= 0)
        let token = Array("\(getpid())-\(WallClock.nowMs())-0123abcd".utf8)
        #expect(token.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } == token.count)
        close(descriptor)

        let fresher = try fixture.credentials(for: "alice", expiresInMs: 7_200_000)
        try fixture.writeCredentials(fresher)
        // The lock goes once the daemon has logged its 2 s wait, however long that took here.
        let notice = "lock: waiting for oauth_accounts.lock held by pid \(getpid()) for 2 s"
        let logged = await eventually(timeoutMs: 60_000) { DaemonFixture.read(daemon.log)?.contains(notice) == true }
        #expect(logged, "\(DaemonFixture.read(daemon.log) ?? "")")
        #expect(fixture.ping(), "the loop keeps serving while the worker waits")
        #expect(try fixture.state().accounts.account(id: aliceID)?.token == alice, "nothing is written under a peer's lock")

        #expect(unlink(lockPath) == 0)
        #expect(try await eventually(timeoutMs: 10_000) { try fixture.state().accounts.account(id: aliceID)?.token == fresher })
        #expect(await daemon.process.stop() == 0)
    }
}
