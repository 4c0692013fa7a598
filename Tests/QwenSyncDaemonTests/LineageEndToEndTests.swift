import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// Issue #9's promise with real processes: a peer's refresh of a claim-less token is never
/// lost, a lost lock never costs a second refresh, and an outage ends within seconds.
@Suite("lineage end to end")
struct LineageEndToEndTests {
    /// Two claim-less accounts on a stand-in that issues opaque access tokens: `alice` active
    /// (in `oauth_creds.json`, expiring at `aliceExpiry`), `bob` not.
    private func twoAnonymousAccounts(_ fixture: DaemonFixture, aliceExpiry: Int64, bobExpiry: Int64) throws -> (alice: OAuthCredentials, bob: OAuthCredentials)
    {
        let alice = TokenFactory.credentials(sub: nil, refresh: try fixture.standIn.seed(sub: "alice"), expiry: aliceExpiry, serial: "a")
        let bob = TokenFactory.credentials(sub: nil, refresh: try fixture.standIn.seed(sub: "bob"), expiry: bobExpiry, serial: "b")
        var document = AccountsDocument()
        document.add(StoredAccount(id: "acct_alice", token: alice, nowMs: WallClock.nowMs()))
        document.add(StoredAccount(id: "acct_bob", token: bob, nowMs: WallClock.nowMs()))
        document.activeAccountID = "acct_alice"
        try fixture.writeAccounts(document)
        try fixture.writeCredentials(alice)
        return (alice, bob)
    }

    /// Holds `oauth_accounts.lock` the way the plugin does (O_EXCL, `<pid>-<ms>-<hex>`), with
    /// this live test process as the holder, and keeps it fresh as a live holder does (its mtime
    /// every second), so nobody judges it stale however long the scene takes on a busy machine.
    /// Returns the release: the heartbeat stops and the lock is deleted.
    private func holdAccountsLock(_ fixture: DaemonFixture) throws -> @Sendable () async -> Void {
        let path = fixture.qwenDirectory + "/oauth_accounts.lock"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw TestSupportError("lock: errno \(errno)") }
        let content = Array("\(getpid())-\(WallClock.nowMs())-0123abcd".utf8)
        _ = content.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        let heartbeat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                utimensat(AT_FDCWD, path, nil, 0)
            }
        }
        return {
            heartbeat.cancel()
            await heartbeat.value
            unlink(path)
        }
    }

    /// A qwen-code-like process refreshes whatever `oauth_creds.json` holds, once, under
    /// `oauth_creds.lock`, and writes only that file.
    private func peerRefreshesTheFile(_ fixture: DaemonFixture) async throws {
        let peer = try ChildProcess(
            "/usr/bin/env",
            [
                "python3", DaemonFixture.clientScript, "--qwen-dir", fixture.qwenDirectory, "--base-url", fixture.standIn.baseURL,
                "--duration", "0", "--refresh-now",
            ],
            stdout: fixture.directory.appending("peer.json"), stderr: fixture.directory.appending("peer.err")
        )
        #expect(await peer.waitForExit(timeoutMs: 60_000) == 0)
        let report = try JSON.parse(DaemonFixture.read(fixture.directory.appending("peer.json")) ?? "").objectValue
        #expect(
            report?["refresh_attempts"]?.int64Value == 1 && report?["refresh_failures"]?.int64Value == 0,
            "peer: \(report.map { JSONValue.object($0).serialized(.compact) } ?? "no report")")
    }

    /// What must hold after a peer refreshed alice behind qwen-sync's back.
    private func expectPeerTokenKept(_ fixture: DaemonFixture, context: String) throws {
        let peerToken = try #require(fixture.credentialsOnDisk())
        let state = try fixture.state()
        #expect(state.accounts.accounts.map(\.id).sorted() == ["acct_alice", "acct_bob"], "no account added: \(context)")
        #expect(state.accounts.account(id: "acct_alice")?.token.refreshToken == peerToken.refreshToken, "alice holds the peer's token: \(context)")
        #expect(state.accounts.accounts.allSatisfy { $0.lastErrorCode == nil }, "nothing marked auth_invalid: \(context)")
        #expect(state.accounts.activeAccountID == "acct_alice")
        #expect(try fixture.standIn.liveRefreshTokens(sub: "alice") == [peerToken.refreshToken], "the live token is in the files")
        #expect(try fixture.standIn.counter("dead_token_reuse") == 0, "\(context)")
        #expect(try fixture.standIn.counter("refresh_failures") == 0, "\(context)")
    }

    @Test("a peer refreshes the active claim-less account while `qwen-sync refresh` waits for the accounts lock: its token is kept")
    func peerRefreshWhileCLIWaits() async throws {
        let fixture = try await DaemonFixture(standInArguments: ["--opaque-tokens"])
        _ = try twoAnonymousAccounts(fixture, aliceExpiry: WallClock.nowMs() + 20 * 60_000, bobExpiry: WallClock.nowMs() + 3_600_000)
        let releaseLock = try holdAccountsLock(fixture)
        let cli = try ChildProcess(
            BuiltProducts.path(of: "qwen-sync"), ["refresh"], environment: fixture.environment(),
            stdout: fixture.directory.appending("cli.out"), stderr: fixture.directory.appending("cli.err")
        )
        try await Task.sleep(for: .milliseconds(500))
        #expect(cli.isRunning, "the CLI waits for oauth_accounts.lock")
        try await peerRefreshesTheFile(fixture)
        await releaseLock()
        let exit = await cli.waitForExit(timeoutMs: 60_000)
        let output = (DaemonFixture.read(fixture.directory.appending("cli.out")) ?? "") + (DaemonFixture.read(fixture.directory.appending("cli.err")) ?? "")
        #expect(exit == 0, "\(output)")
        #expect(output.contains("already refreshed by another process"), "\(output)")
        try expectPeerTokenKept(fixture, context: output)
        #expect(try fixture.standIn.counter("successful_refreshes") == 1, "only the peer's refresh")
    }

    @Test("a peer refreshes the active claim-less account while the daemon's refresh waits for the accounts lock: its token is kept")
    func peerRefreshWhileDaemonWaits() async throws {
        let fixture = try await DaemonFixture(standInArguments: ["--opaque-tokens"])
        // Lead 40 s: alice is due 30 s from now (minus up to 4 s of jitter), well after the start
        // even on a busy machine.
        _ = try twoAnonymousAccounts(fixture, aliceExpiry: WallClock.nowMs() + 70_000, bobExpiry: WallClock.nowMs() + 3_600_000)
        let daemon = try await fixture.startDaemon(refreshLead: 40)
        let releaseLock = try holdAccountsLock(fixture)
        #expect(try fixture.standIn.counter("refresh_requests") == 0, "the daemon refreshed before the lock was taken; the scene is void")
        // The due refresh waits for the lock on the worker; after 2 s the daemon says so.
        #expect(
            await eventually(timeoutMs: 60_000) { (DaemonFixture.read(daemon.log) ?? "").contains("waiting for oauth_accounts.lock") },
            "\(DaemonFixture.read(daemon.log) ?? "")"
        )
        try await peerRefreshesTheFile(fixture)
        await releaseLock()
        let log = { DaemonFixture.read(daemon.log) ?? "" }
        #expect(await eventually(timeoutMs: 15_000) { log().contains("already refreshed by another process") }, "\(log())")
        try expectPeerTokenKept(fixture, context: log())
        #expect(try fixture.standIn.counter("successful_refreshes") == 1, "only the peer's refresh: \(log())")
        #expect(await daemon.process.stop() == 0)
        #expect(!log().contains("SECRET"))
    }

    @Test("a process unlinks oauth_creds.lock every few ms during 20+ refreshes: one refresh per lifetime, no dead token, no new account")
    func lockUnlinkStorm() async throws {
        // Tokens live 40 s and the lead is 35 s: each account is refreshed every 1.5–5 s.
        let fixture = try await DaemonFixture(standInArguments: ["--opaque-tokens", "--expires-in", "40"])
        let now = WallClock.nowMs()
        _ = try twoAnonymousAccounts(fixture, aliceExpiry: now + 40_000, bobExpiry: now + 40_000)
        let storm = try ChildProcess(
            "/bin/sh", ["-c", "while :; do rm -f \"$0/oauth_creds.lock\"; sleep 0.003; done", fixture.qwenDirectory]
        )
        let daemon = try await fixture.startDaemon(refreshLead: 35)
        #expect(try await eventually(timeoutMs: 90_000) { try fixture.standIn.counter("successful_refreshes") >= 22 })
        storm.signal(SIGKILL)
        _ = await storm.waitForExit()
        let log = DaemonFixture.read(daemon.log) ?? ""
        #expect(await daemon.process.stop() == 0)

        let refreshes = try fixture.standIn.requests().filter { $0.grantType == "refresh_token" }
        #expect(refreshes.allSatisfy { $0.result == "success" }, "\(refreshes.map(\.result))")
        #expect(try fixture.standIn.counter("dead_token_reuse") == 0)
        for sub in ["alice", "bob"] {
            let times = refreshes.filter { $0.sub == sub }.map(\.atMs)
            let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
            // A second network refresh for one lifetime would follow the first within
            // milliseconds; a lifetime here lasts at least 1.5 s.
            #expect(gaps.allSatisfy { $0 > 1_000 }, "\(sub): \(gaps) ms between refreshes")
            #expect(times.count >= 8, "\(sub) refreshed \(times.count) times")
        }
        let state = try fixture.state()
        #expect(state.accounts.accounts.map(\.id).sorted() == ["acct_alice", "acct_bob"], "no phantom account: \(log)")
        #expect(state.accounts.accounts.allSatisfy { $0.lastErrorCode == nil })
        #expect(try fixture.standIn.liveRefreshTokens(sub: "alice") == [try #require(state.accounts.account(id: "acct_alice")).token.refreshToken])
        #expect(try fixture.standIn.liveRefreshTokens(sub: "bob") == [try #require(state.accounts.account(id: "acct_bob")).token.refreshToken])
        print(
            "lock-unlink storm: \(refreshes.count) refreshes, \(try fixture.standIn.counter("dead_token_reuse")) dead-token requests, \(state.accounts.accounts.count) accounts"
        )
    }

    @Test("after an outage that outlives both tokens and drives the back-off to its cap, every account is refreshed within 15 s of the server answering again")
    func outageRecovery() async throws {
        // Tokens expire 6 s and 9 s in, inside the 35 s lead: due at once. The server fails every
        // refresh until both have expired and each account was tried four times (2 s, 4 s, 8 s:
        // the back-off has reached its 10 s cap). The schedule itself is DaemonCoreTests'.
        let fixture = try await DaemonFixture(standInArguments: ["--opaque-tokens", "--expires-in", "40"])
        let now = WallClock.nowMs()
        _ = try twoAnonymousAccounts(fixture, aliceExpiry: now + 6_000, bobExpiry: now + 9_000)
        try fixture.standIn.configure(["faults": [["kind": "status_500", "count": 100_000, "grant_type": "refresh_token"]]])
        let daemon = try await fixture.startDaemon(refreshLead: 35)
        let failedAttempts = { try fixture.standIn.requests().filter { $0.grantType == "refresh_token" && $0.result != "success" }.count }
        let outlived = {
            try failedAttempts() >= 8 && fixture.state().accounts.accounts.allSatisfy { $0.token.expiryDate < WallClock.nowMs() }
        }
        #expect(try await eventually(timeoutMs: 60_000) { try outlived() }, "\((try? failedAttempts()) ?? -1) failed attempts")
        try fixture.standIn.configure(["faults": []])
        let recovered = WallClock.nowMs()
        let log = { DaemonFixture.read(daemon.log) ?? "" }
        let usable = {
            try fixture.state().accounts.accounts.allSatisfy { $0.token.expiryDate > WallClock.nowMs() + 30_000 && $0.lastErrorCode == nil }
        }
        #expect(try await eventually(timeoutMs: 15_000) { try usable() }, "\(log())")
        let elapsed = WallClock.nowMs() - recovered
        #expect(elapsed <= 15_000, "recovered in \(elapsed) ms")
        let refreshed = try fixture.standIn.requests().filter { $0.grantType == "refresh_token" && $0.result == "success" }.compactMap(\.sub)
        #expect(Set(refreshed) == ["alice", "bob"])
        #expect(try fixture.standIn.counter("dead_token_reuse") == 0)
        #expect(await daemon.process.stop() == 0)
        print("outage recovery: both accounts refreshed \(elapsed) ms after the server answered again")
    }

    @Test("switches and cooldowns made by peers are logged, so the journal is the audit trail")
    func peerChangesAreLogged() async throws {
        let fixture = try await DaemonFixture(standInArguments: ["--opaque-tokens"])
        let now = WallClock.nowMs()
        _ = try twoAnonymousAccounts(fixture, aliceExpiry: now + 3_600_000, bobExpiry: now + 3_600_000)
        let daemon = try await fixture.startDaemon(refreshLead: 40)
        // The plugin marks alice exhausted and switches to bob, mirroring bob.
        try fixture.changeAccounts { document in
            document.update(id: "acct_alice") { $0.markExhausted(until: now + 3_600_000, code: AccountErrorCode.insufficientQuota, nowMs: now) }
            document.activeAccountID = "acct_bob"
        }
        let log = { DaemonFixture.read(daemon.log) ?? "" }
        #expect(await eventually(timeoutMs: 20_000) { log().contains("another process switched the active account acct_alice → acct_bob") }, "\(log())")
        #expect(log().contains("another process put acct_alice into a cooldown (insufficient_quota)"), "\(log())")
        #expect(
            await eventually(timeoutMs: 20_000) {
                fixture.credentialsOnDisk()?.refreshToken == (try? fixture.state())?.accounts.account(id: "acct_bob")?.token.refreshToken
            })
        #expect(await daemon.process.stop() == 0)
    }
}
