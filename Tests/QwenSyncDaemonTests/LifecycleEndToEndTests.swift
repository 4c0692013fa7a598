import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// Start-up, shutdown, the instance lock, the control socket and `qwen-sync status`.
@Suite("daemon: lifecycle and status")
struct LifecycleEndToEndTests {
    static let hour: Int64 = 3_600_000

    /// Runs `qwen-sync` to completion; returns (exit code, stdout, stderr).
    private func cli(_ fixture: DaemonFixture, _ arguments: [String]) async throws -> (Int32, String, String) {
        let tag = UInt32.random(in: .min ... .max)
        let out = fixture.directory.appending("cli-\(tag).out")
        let err = fixture.directory.appending("cli-\(tag).err")
        let process = try ChildProcess(BuiltProducts.path(of: "qwen-sync"), arguments, environment: fixture.environment(), stdout: out, stderr: err)
        let code = await process.waitForExit() ?? -1
        return (code, DaemonFixture.read(out) ?? "", DaemonFixture.read(err) ?? "")
    }

    @Test("a second daemon for the same qwen dir refuses to start and names the first one's pid")
    func secondDaemonRefused() async throws {
        let fixture = try await DaemonFixture()
        try fixture.loginAs("alice", expiresInMs: Self.hour)
        let first = try await fixture.startDaemon()
        let second = try await fixture.startDaemon(
            environment: ["QWEN_SYNC_SOCKET": fixture.directory.appending("run/other.sock")], waitUntilServing: false
        )
        #expect(await second.process.waitForExit(timeoutMs: 30_000) == 1)
        let message = DaemonFixture.read(second.log) ?? ""
        #expect(message.contains("pid \(first.process.pid)"), "\(message)")
        #expect(fixture.ping(), "the first daemon still serves")
        #expect(access(fixture.directory.appending("run/other.sock"), F_OK) != 0)
        #expect(await first.process.stop() == 0)
        #expect(access(fixture.socketPath, F_OK) != 0, "a clean stop removes the socket")

        // After the first one stopped, a new one starts.
        let third = try await fixture.startDaemon()
        #expect(await third.process.stop() == 0)
    }

    @Test("the qwen dir removed and re-created: the daemon keeps running and syncs the new files")
    func directoryRecreated() async throws {
        let fixture = try await DaemonFixture()
        try fixture.loginAs("alice", expiresInMs: Self.hour)
        let daemon = try await fixture.startDaemon()
        #expect(try await eventually { try fixture.state().accounts.accounts.count == 1 })

        #expect(await Self.remove(fixture.qwenDirectory))
        // The daemon saw the removal and decided: wait for the directory, never re-create it.
        let waiting = "\(fixture.qwenDirectory) was removed; waiting for it to come back"
        #expect(await eventually(timeoutMs: 20_000) { DaemonFixture.read(daemon.log)?.contains(waiting) == true }, "\(DaemonFixture.read(daemon.log) ?? "")")
        #expect(daemon.process.isRunning)
        #expect(fixture.ping())
        #expect(access(fixture.qwenDirectory, F_OK) != 0, "the daemon does not re-create a directory the user removed")

        #expect(mkdir(fixture.qwenDirectory, 0o700) == 0)
        let bob = try fixture.loginAs("bob", expiresInMs: Self.hour)
        #expect(try await eventually(timeoutMs: 10_000) { try fixture.state().accounts.activeAccount?.token == bob }, "\(DaemonFixture.read(daemon.log) ?? "")")
        // And it keeps watching the new directory.
        let fresher = try fixture.credentials(for: "bob", expiresInMs: 2 * Self.hour)
        try fixture.writeCredentials(fresher)
        #expect(try await eventually(timeoutMs: 10_000) { try fixture.state().accounts.activeAccount?.token == fresher })
        // Twice: the parent watch must be re-armed after the first return.
        #expect(await Self.remove(fixture.qwenDirectory))
        #expect(mkdir(fixture.qwenDirectory, 0o700) == 0)
        let carol = try fixture.loginAs("carol", expiresInMs: Self.hour)
        #expect(try await eventually(timeoutMs: 10_000) { try fixture.state().accounts.activeAccount?.token == carol })
        // The new directory is still served by one daemon only: the instance lock was taken again.
        let second = try await fixture.startDaemon(
            environment: ["QWEN_SYNC_SOCKET": fixture.directory.appending("run/other.sock")], waitUntilServing: false
        )
        #expect(await second.process.waitForExit(timeoutMs: 30_000) == 1)
        #expect((DaemonFixture.read(second.log) ?? "").contains("pid \(daemon.process.pid)"))
        #expect(await daemon.process.stop() == 0)
    }

    /// `rm -rf directory`, as a user would run it, again until it succeeds: the daemon may still
    /// be writing a file there (its lock files, a store write), and `rm` then finds the directory
    /// not empty.
    private static func remove(_ directory: String) async -> Bool {
        await eventually(timeoutMs: 30_000) { system("rm -rf '\(directory)' 2>/dev/null") == 0 }
    }

    @Test("status: a table and --json with the contract's fields; exit 3 with a file-based summary when no daemon answers")
    func statusCommand() async throws {
        let fixture = try await DaemonFixture()
        try fixture.loginAs("alice", expiresInMs: Self.hour)
        let daemon = try await fixture.startDaemon()
        #expect(try await eventually { try fixture.state().accounts.accounts.count == 1 })
        let id = try #require(try fixture.state().accounts.activeAccountID)

        var socketStatus = stat()
        #expect(stat(fixture.socketPath, &socketStatus) == 0)
        #expect(socketStatus.st_mode & 0o777 == 0o600)
        var directoryStatus = stat()
        #expect(stat(fixture.directory.appending("run"), &directoryStatus) == 0)
        #expect(directoryStatus.st_mode & 0o777 == 0o700)

        let (code, json, _) = try await cli(fixture, ["status", "--json"])
        #expect(code == 0)
        let root = try #require(try JSON.parse(json).objectValue)
        let daemonInfo = try #require(root["daemon"]?.objectValue)
        #expect(daemonInfo["pid"]?.int64Value == Int64(daemon.process.pid))
        #expect(daemonInfo["version"]?.stringValue?.isEmpty == false)
        #expect(daemonInfo["uptime_s"]?.int64Value != nil)
        #expect(root["qwen_dir"]?.stringValue == fixture.qwenDirectory)
        #expect(root["active_account"]?.stringValue == id)
        let account = try #require(root["accounts"]?.arrayValue?.first?.objectValue)
        for key in ["id", "label", "active", "state", "expires_at_ms", "cooldown_until_ms", "next_refresh_at_ms", "last_refresh"] {
            #expect(account[key] != nil, "accounts[].\(key) is missing")
        }
        #expect(account["state"]?.stringValue == "healthy")
        #expect(account["next_refresh_at_ms"]?.int64Value ?? 0 > WallClock.nowMs())
        let counters = try #require(root["counters"]?.objectValue)
        for key in ["syncs", "refreshes", "refresh_failures"] { #expect(counters[key]?.int64Value != nil, "counters.\(key)") }
        #expect(!json.contains("SECRET"))

        // A lock held by a plugin process shows up with its holder and age.
        try DaemonFixture.replace(fixture.qwenDirectory + "/oauth_accounts.lock", with: Array("\(getpid())-\(WallClock.nowMs())-abcdef".utf8))
        let (textCode, text, _) = try await cli(fixture, ["status"])
        unlink(fixture.qwenDirectory + "/oauth_accounts.lock")
        #expect(textCode == 0)
        #expect(text.contains("running, pid \(daemon.process.pid)"))
        #expect(text.contains(id))
        #expect(text.contains("healthy"))
        #expect(text.contains("NEXT REFRESH"))
        #expect(text.contains("oauth_accounts.lock by pid \(getpid())"), "\(text)")
        #expect(text.contains("last event:"), "the start-up sync is the last event\n\(text)")

        #expect(await daemon.process.stop() == 0)
        let (offlineCode, offline, offlineError) = try await cli(fixture, ["status"])
        #expect(offlineCode == 3)
        #expect(offline.contains("not running"))
        #expect(offline.contains(id), "the offline summary lists the accounts from the files")
        #expect(!offlineError.isEmpty)
        let (offlineJSONCode, offlineJSON, _) = try await cli(fixture, ["status", "--json"])
        #expect(offlineJSONCode == 3)
        let offlineRoot = try #require(try JSON.parse(offlineJSON).objectValue)
        #expect(offlineRoot["daemon"]?.isNull == true)
        #expect(offlineRoot["accounts"]?.arrayValue?.count == 1)
    }

    @Test("the control socket answers unknown commands and malformed lines with an error, and keeps serving")
    func controlProtocolErrors() async throws {
        let fixture = try await DaemonFixture()
        let daemon = try await fixture.startDaemon()
        let unknown = try RawControlSocket.send(Array(#"{"command":"launch"}"#.utf8) + [10], to: fixture.socketPath)
        #expect(unknown.contains("unknown command"))
        let malformed = try RawControlSocket.send(Array("not json\n".utf8), to: fixture.socketPath)
        #expect(malformed.contains("malformed request"))
        // A client that connects and says nothing only delays others briefly.
        let silent = try RawControlSocket.connect(fixture.socketPath)
        defer { close(silent) }
        #expect(fixture.ping())
        #expect(await daemon.process.stop() == 0)
    }
}
