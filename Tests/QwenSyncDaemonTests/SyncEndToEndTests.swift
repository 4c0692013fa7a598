import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// The daemon's sync rules, driven by real writes from other processes' point of view.
@Suite("daemon: sync end to end")
struct SyncEndToEndTests {
    static let hour: Int64 = 3_600_000

    private func syncs(_ fixture: DaemonFixture) throws -> Int64 {
        try fixture.status()["counters"]?.objectValue?["syncs"]?.int64Value ?? -1
    }

    /// Waits until the daemon has handled every file event queued before this call, instead of
    /// sleeping for "nothing happened": writes an older token of `sub` over `oauth_creds.json`,
    /// which the daemon puts right (back to `current`) in one sync round. inotify delivers events
    /// in order, so whatever was queued before was handled by then.
    private func barrier(_ fixture: DaemonFixture, sub: String, current: OAuthCredentials) async throws -> Bool {
        let older = TokenFactory.credentials(sub: sub, refresh: "rt-barrier-\(WallClock.nowMs())", expiry: WallClock.nowMs() + 60_000)
        try fixture.writeCredentials(older)
        return await eventually(timeoutMs: 20_000) { fixture.credentialsOnDisk() == current }
    }

    @Test("writes to either file are mirrored into the other, once, and a burst converges")
    func mirroring() async throws {
        let fixture = try await DaemonFixture()
        let alice = try fixture.loginAs("alice", expiresInMs: Self.hour)
        let daemon = try await fixture.startDaemon()
        #expect(try await eventually { try fixture.state().accounts.activeAccount?.token == alice }, "the start-up scan adopts oauth_creds.json")
        let aliceID = try #require(try fixture.state().accounts.activeAccountID)

        // oauth_creds.json → store: a fresher token of the same identity (qwen-code refreshed).
        let before = try syncs(fixture)
        let fresher = try fixture.credentials(for: "alice", expiresInMs: 2 * Self.hour)
        try fixture.writeCredentials(fresher)
        #expect(try await eventually(timeoutMs: 20_000) { try fixture.state().accounts.account(id: aliceID)?.token == fresher })
        #expect(try await barrier(fixture, sub: "alice", current: fresher))
        #expect(try syncs(fixture) == before + 2, "one round for the write, one for the barrier: the daemon's own write must not trigger another")
        #expect(fixture.credentialsOnDisk() == fresher)

        // oauth_creds.json → store: a new identity becomes a new, active account.
        let bob = try fixture.credentials(for: "bob", expiresInMs: Self.hour)
        try fixture.writeCredentials(bob)
        #expect(try await eventually(timeoutMs: 20_000) { try fixture.state().accounts.activeAccount?.token == bob })
        #expect(try fixture.state().accounts.accounts.count == 2)

        // store → oauth_creds.json: the plugin makes alice active again.
        try fixture.changeAccounts { $0.activeAccountID = aliceID }
        #expect(await eventually(timeoutMs: 20_000) { fixture.credentialsOnDisk() == fresher })

        // An older token for alice never downgrades the store; the file is put right instead.
        let stale = TokenFactory.credentials(sub: "alice", refresh: "rt-old", expiry: WallClock.nowMs() + 60_000)
        try fixture.writeCredentials(stale)
        #expect(await eventually(timeoutMs: 20_000) { fixture.credentialsOnDisk() == fresher })
        #expect(try fixture.state().accounts.account(id: aliceID)?.token == fresher)

        // A burst of writes: the last one wins, in fewer rounds than writes.
        let burstStart = try syncs(fixture)
        var last = fresher
        for step in 1...30 {
            last = TokenFactory.credentials(sub: "alice", refresh: "rt-burst-\(step)", expiry: WallClock.nowMs() + 3 * Self.hour + Int64(step))
            try fixture.writeCredentials(last)
        }
        let final = last
        #expect(try await eventually(timeoutMs: 20_000) { try fixture.state().accounts.account(id: aliceID)?.token == final })
        #expect(try await barrier(fixture, sub: "alice", current: final))
        #expect(try syncs(fixture) - burstStart <= 31)

        // Temp, stale and lock files are not the credentials.
        let quiet = try syncs(fixture)
        try DaemonFixture.replace(fixture.credentialsPath + ".tmp.1234", with: Array("{}".utf8))
        try DaemonFixture.replace(fixture.qwenDirectory + "/oauth_creds.lock.stale.abc", with: Array("x".utf8))
        #expect(try await barrier(fixture, sub: "alice", current: final))
        #expect(try syncs(fixture) == quiet + 1, "only the barrier's round")
        #expect(fixture.credentialsOnDisk() == final)

        #expect(await daemon.process.stop() == 0)
        #expect(try fixture.standIn.counter("refresh_requests") == 0, "nothing was near expiry")
    }

    @Test("a deleted oauth_creds.json is restored from the active account, whose token is then verified by a refresh")
    func deletionRestore() async throws {
        let fixture = try await DaemonFixture()
        let alice = try fixture.loginAs("alice", expiresInMs: Self.hour)
        let daemon = try await fixture.startDaemon()
        #expect(try await eventually { try fixture.state().accounts.activeAccount?.token == alice })

        unlink(fixture.credentialsPath)
        #expect(await eventually(timeoutMs: 20_000) { fixture.credentialsOnDisk() != nil })
        let restored = try #require(fixture.credentialsOnDisk())
        #expect(AccountIdentity.key(forAccessToken: restored.accessToken) == "sub:alice")
        #expect(try await eventually(timeoutMs: 20_000) { try fixture.standIn.counter("successful_refreshes") == 1 })
        #expect(await eventually(timeoutMs: 20_000) { fixture.credentialsOnDisk()?.refreshToken != alice.refreshToken })
        #expect(try fixture.standIn.counter("dead_token_reuse") == 0)
        #expect(try fixture.standIn.requestLog().allSatisfy { $0.client.hasPrefix("qwen-sync") })
        var mode = stat()
        stat(fixture.credentialsPath, &mode)
        #expect(mode.st_mode & 0o777 == 0o600)
        #expect(await daemon.process.stop() == 0)
    }

    @Test("deleted with an auth_invalid active account: switch to a healthy one; with none left: ask for a login")
    func deletionWithInvalidAccounts() async throws {
        let fixture = try await DaemonFixture()
        try fixture.loginAs("alice", expiresInMs: Self.hour)
        let daemon = try await fixture.startDaemon()
        let bob = try fixture.credentials(for: "bob", expiresInMs: Self.hour)
        try fixture.writeCredentials(bob)
        #expect(try await eventually { try fixture.state().accounts.accounts.count == 2 })
        let bobID = try #require(try fixture.state().accounts.activeAccountID)
        let aliceID = try #require(try fixture.state().accounts.accounts.first { $0.id != bobID }?.id)

        // bob's refresh token was refused (as qwen-code experienced before deleting the file).
        let now = WallClock.nowMs()
        try fixture.changeAccounts { $0.update(id: bobID) { $0.markExhausted(until: now + Self.hour, code: AccountErrorCode.authInvalid, nowMs: now) } }
        #expect(try await eventually(timeoutMs: 20_000) { try fixture.state().accounts.activeAccountID == aliceID })
        unlink(fixture.credentialsPath)
        #expect(
            await eventually(timeoutMs: 20_000) { fixture.credentialsOnDisk().map { AccountIdentity.key(forAccessToken: $0.accessToken) } == "sub:alice" },
            "\(DaemonFixture.read(daemon.log) ?? "")"
        )

        // The restore is followed by one verifying refresh; a success would clear any auth_invalid
        // mark, so let it finish first.
        #expect(await eventually(timeoutMs: 20_000) { DaemonFixture.read(daemon.log)?.contains("refreshed") == true })

        // Now alice is refused too: nothing can serve, the file stays deleted and the log says so.
        // (The mark is queued before the deletion: the daemon reads both, together or in turn.)
        try fixture.changeAccounts { $0.update(id: aliceID) { $0.markExhausted(until: now + Self.hour, code: AccountErrorCode.authInvalid, nowMs: now) } }
        unlink(fixture.credentialsPath)
        #expect(
            await eventually(timeoutMs: 20_000) { DaemonFixture.read(daemon.log)?.contains("run `qwen-sync login`") == true },
            "\(DaemonFixture.read(daemon.log) ?? "")"
        )
        // The round that logged it decided not to restore: no later round is due without an event.
        #expect(access(fixture.credentialsPath, F_OK) != 0, "no account can refresh: nothing is restored")
        #expect(await daemon.process.stop() == 0)
    }

    @Test("cooldown: the active account gives way; when every account cools down, the first cooldown to end switches back without a restart")
    func cooldownSwitchAndEnd() async throws {
        let fixture = try await DaemonFixture()
        try fixture.loginAs("alice", expiresInMs: Self.hour)
        let daemon = try await fixture.startDaemon()
        let bob = try fixture.credentials(for: "bob", expiresInMs: Self.hour)
        try fixture.writeCredentials(bob)
        #expect(try await eventually { try fixture.state().accounts.accounts.count == 2 && fixture.state().accounts.activeAccount?.token == bob })
        let bobID = try #require(try fixture.state().accounts.activeAccountID)
        let alice = try #require(try fixture.state().accounts.accounts.first { $0.id != bobID })

        // The plugin marks bob exhausted (quota) for an hour: the daemon switches to alice. The
        // checks below run while both cool down, however busy the machine.
        let start = WallClock.nowMs()
        try fixture.changeAccounts {
            $0.update(id: bobID) { $0.markExhausted(until: start + Self.hour, code: AccountErrorCode.insufficientQuota, nowMs: start) }
        }
        #expect(
            try await eventually(timeoutMs: 20_000) { try fixture.state().accounts.activeAccountID == alice.id && fixture.credentialsOnDisk() == alice.token })

        // alice is exhausted too, for longer: nobody healthy, alice stays active.
        try fixture.changeAccounts {
            $0.update(id: alice.id) { $0.markExhausted(until: start + 2 * Self.hour, code: AccountErrorCode.insufficientQuota, nowMs: start) }
        }
        #expect(try await barrier(fixture, sub: "alice", current: alice.token))
        #expect(try fixture.state().accounts.activeAccountID == alice.id)
        let statusWhileCooling = try fixture.status()
        let states = (statusWhileCooling["accounts"]?.arrayValue ?? []).compactMap { $0.objectValue?["state"]?.stringValue }
        #expect(states == ["cooldown", "cooldown"])

        // The plugin shortens bob's cooldown to end in 3 s. That write is the last file event:
        // the switch back comes from the daemon's own timer when the cooldown ends.
        let bobUntil = WallClock.nowMs() + 3_000
        try fixture.changeAccounts {
            $0.update(id: bobID) { $0.markExhausted(until: bobUntil, code: AccountErrorCode.insufficientQuota, nowMs: bobUntil - 3_000) }
        }
        // bob's cooldown ends: with no further file event, the daemon makes bob active again.
        #expect(
            try await eventually(timeoutMs: bobUntil - WallClock.nowMs() + 10_000) {
                try fixture.state().accounts.activeAccountID == bobID && fixture.credentialsOnDisk() == bob
            })
        #expect(WallClock.nowMs() >= bobUntil)
        let bobStatus = try fixture.status()["accounts"]?.arrayValue?.compactMap { $0.objectValue }.first { $0["id"]?.stringValue == bobID }
        #expect(bobStatus?["state"]?.stringValue == "healthy")
        #expect(DaemonFixture.read(daemon.log)?.contains("cooldown has ended") == true)
        #expect(await daemon.process.stop() == 0)
    }

    @Test("oauth_creds.json a dangling symlink: the write keeps failing, the daemon keeps running and answering, one log line, healed when fixed")
    func persistentWriteFailure() async throws {
        let fixture = try await DaemonFixture()
        let alice = try fixture.loginAs("alice", expiresInMs: Self.hour)
        let daemon = try await fixture.startDaemon()
        #expect(try await eventually { try fixture.state().accounts.activeAccount?.token == alice })

        let target = fixture.directory.appending("gone/oauth_creds.json")
        unlink(fixture.credentialsPath)
        #expect(symlink(target, fixture.credentialsPath) == 0)
        let syncError = { try fixture.status()["sync_error"]?.objectValue?["message"]?.stringValue }
        #expect(try await eventually(timeoutMs: 20_000) { try syncError() != nil }, "\(DaemonFixture.read(daemon.log) ?? "")")
        // status keeps answering while the daemon retries (1 s, 2 s, 4 s…), and says how often it
        // failed: 3 or more by now (a starved test can look only after a later attempt).
        let attempts = { () throws -> Int? in
            guard let last = try syncError()?.split(separator: "(").last, last.hasSuffix(" failed attempts so far)") else { return nil }
            return Int(last.prefix { $0.isNumber })
        }
        #expect(try await eventually(timeoutMs: 30_000) { try (attempts() ?? 0) >= 3 }, "\((try? syncError()) ?? "none")")
        #expect(daemon.process.isRunning)
        let log = { DaemonFixture.read(daemon.log) ?? "" }
        let lines = { (text: String) in log().split(separator: "\n").filter { $0.contains(text) }.count }
        #expect(lines("sync failed") == 1, "one line per state change, not per attempt: \(log())")
        #expect(lines("") < 100, "\(log())")

        // Fixed: the next retry writes the file, and the failure is over.
        unlink(fixture.credentialsPath)
        // A restored file is followed by one verifying refresh, which may already have rotated
        // alice's tokens: the file must hold alice, not necessarily the tokens it was seeded with.
        let aliceOnDisk = { fixture.credentialsOnDisk().map { AccountIdentity.key(forAccessToken: $0.accessToken) } == "sub:alice" }
        let healed = { try aliceOnDisk() && syncError() == nil }
        #expect(try await eventually(timeoutMs: 45_000) { try healed() }, "\(log())")
        #expect(log().contains("syncing works again"))
        #expect(await daemon.process.stop() == 0)
    }
}
