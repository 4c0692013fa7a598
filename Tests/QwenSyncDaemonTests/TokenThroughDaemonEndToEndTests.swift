import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// `qwen-sync token` with a running daemon: real processes, the control socket, the stand-in
/// OAuth server. The daemon does the refresh the command needs, shared by every caller; without
/// a daemon the command refreshes under the locks itself.
@Suite("daemon: token refreshes through the daemon")
struct TokenThroughDaemonEndToEndTests {
    /// Runs `qwen-sync token` with `arguments` against `fixture`'s files and socket.
    static func token(_ fixture: DaemonFixture, _ arguments: [String], name: String) throws -> ChildProcess {
        try ChildProcess(
            BuiltProducts.path(of: "qwen-sync"), ["token"] + arguments, environment: fixture.environment(),
            stdout: fixture.directory.appending("\(name).out"), stderr: fixture.directory.appending("\(name).err"))
    }

    /// The access token the stand-in last issued to `sub`.
    static func latestAccessToken(_ fixture: DaemonFixture, sub: String) throws -> String? {
        try fixture.standIn.stats()["latest_access_tokens"]?.objectValue?[sub]?.stringValue
    }

    @Test("token --min-ttl beyond what is left: the daemon does the one refresh, and token prints the new access token")
    func daemonRefreshes() async throws {
        let fixture = try await DaemonFixture()
        try fixture.loginAs("alice", expiresInMs: 30 * 60_000)
        let daemon = try await fixture.startDaemon(refreshLead: 40)
        defer { daemon.process.kill() }
        // 24 h wanted, 30 min left: a refresh is due whatever the server's lifetime.
        let process = try Self.token(fixture, ["--min-ttl", "86400"], name: "token")
        #expect(await process.waitForExit(timeoutMs: 30_000) == 0, "\(process.errorOutput)")
        let issued = try #require(try Self.latestAccessToken(fixture, sub: "alice"))
        #expect(process.output == issued + "\n")
        #expect(try fixture.standIn.counter("refresh_requests") == 1)
        let log = DaemonFixture.read(daemon.log) ?? ""
        #expect(log.contains("a client asked for a refresh of"), "the daemon took the request: \(log)")
        #expect(!log.contains(issued), "never a token in the journal")
        #expect(fixture.credentialsOnDisk()?.accessToken == issued, "the daemon's refresh reached oauth_creds.json")
    }

    @Test("5 concurrent token processes that all need a refresh: exactly one refresh at the server, all print the same new token")
    func fiveConcurrentOneRefresh() async throws {
        let fixture = try await DaemonFixture(standInArguments: ["--expires-in", "10800"])
        try fixture.loginAs("alice", expiresInMs: 30 * 60_000)
        let daemon = try await fixture.startDaemon(refreshLead: 40)
        defer { daemon.process.kill() }
        // The refresh takes a second, so the five overlap: the later ones join it.
        try fixture.standIn.configure(["faults": [["kind": "delay", "delay_ms": 1_000]]])
        let processes = try (0..<5).map { try Self.token(fixture, ["--min-ttl", "7200"], name: "token-\($0)") }
        for process in processes { #expect(await process.waitForExit(timeoutMs: 30_000) == 0, "\(process.errorOutput)") }
        let issued = try #require(try Self.latestAccessToken(fixture, sub: "alice"))
        for process in processes { #expect(process.output == issued + "\n") }
        #expect(try fixture.standIn.counter("refresh_requests") == 1, "one refresh for five askers")
        #expect(try fixture.standIn.counter("dead_token_reuse") == 0)
        let log = DaemonFixture.read(daemon.log) ?? ""
        let started = log.split(separator: "\n").filter { $0.contains("a client asked for a refresh of") }
        #expect(started.count == 1, "one refresh started for the clients: \(log)")
    }

    @Test("daemon stopped: token still refreshes, under the locks, and prints the new token")
    func withoutDaemon() async throws {
        let fixture = try await DaemonFixture()
        try fixture.loginAs("alice", expiresInMs: 30 * 60_000)
        let daemon = try await fixture.startDaemon(refreshLead: 40)
        #expect(await daemon.process.stop() == 0)
        #expect(!fixture.ping())
        let process = try Self.token(fixture, ["--min-ttl", "86400"], name: "token")
        #expect(await process.waitForExit(timeoutMs: 30_000) == 0, "\(process.errorOutput)")
        let issued = try #require(try Self.latestAccessToken(fixture, sub: "alice"))
        #expect(process.output == issued + "\n")
        #expect(try fixture.standIn.counter("refresh_requests") == 1)
    }

    @Test("the machine prepares to sleep: the daemon declines, token refreshes under the locks and prints the new token")
    func preparingToSleep() async throws {
        if let why = await FakeLogind.unavailableReason { try Laptop.skip(why) }
        let logind = try await FakeLogind.start()
        let fixture = try await DaemonFixture()
        // 3 h left: not due for qwen-syncd's default 40-min lead, so only token refreshes.
        try fixture.loginAs("alice", expiresInMs: 3 * 3_600_000)
        let daemon = try await Laptop.startDaemon(fixture, environment: ["DBUS_SYSTEM_BUS_ADDRESS": logind.address])
        defer { daemon.process.kill() }
        try await logind.waitForInhibitors(1)
        #expect(try await logind.sleep(), "the daemon released its inhibitor")
        let process = try Self.token(fixture, ["--min-ttl", "86400"], name: "token")
        #expect(await process.waitForExit(timeoutMs: 30_000) == 0, "\(process.errorOutput)")
        let issued = try #require(try Self.latestAccessToken(fixture, sub: "alice"))
        #expect(process.output == issued + "\n")
        let stats = try fixture.standIn.stats()
        #expect(try fixture.standIn.counter("refresh_requests") == 1, "\(stats) \(DaemonFixture.read(daemon.log) ?? "")")
        #expect(Laptop.lines(daemon.log, containing: "a client asked for a refresh") == 0, "the daemon started nothing while asleep")
        try await logind.wake()
    }

    @Test("a token fresh enough is printed without asking anyone: no refresh at the server, no request in the daemon's log")
    func freshTokenNoRequest() async throws {
        let fixture = try await DaemonFixture()
        let credentials = try fixture.loginAs("alice", expiresInMs: 30 * 60_000)
        let daemon = try await fixture.startDaemon(refreshLead: 40)
        defer { daemon.process.kill() }
        let process = try Self.token(fixture, ["--min-ttl", "60"], name: "token")
        #expect(await process.waitForExit(timeoutMs: 30_000) == 0, "\(process.errorOutput)")
        #expect(process.output == credentials.accessToken + "\n")
        #expect(try fixture.standIn.counter("refresh_requests") == 0)
        #expect(Laptop.lines(daemon.log, containing: "a client asked for a refresh") == 0)
    }
}
