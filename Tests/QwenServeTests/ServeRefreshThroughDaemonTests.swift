import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// `qwen-sync-serve`'s one refresh after a 401 with a `qwen-sync daemon` serving the same qwen
/// directory: the daemon does it (joining any refresh of that account in flight), not serve.
@Suite("serve: the 401 refresh goes through the running daemon")
struct ServeRefreshThroughDaemonTests {
    typealias Fixture = ServeEndToEndTests.Fixture

    @Test("401 with a daemon running: the daemon refreshes the account once, serve retries with the new token")
    func refreshOn401ThroughDaemon() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        let controlSocket = fixture.directory.appending("ctl.sock")  // the socket serve was told about
        let log = fixture.directory.appending("daemon.log")
        let daemon = try ChildProcess(
            BuiltProducts.path(of: "qwen-sync"), ["daemon"],
            environment: [
                "QWEN_HOME": fixture.qwenDir, "QWEN_SYNC_SOCKET": controlSocket, "QWEN_SYNC_OAUTH_BASE_URL": fixture.oauth.baseURL,
                "QWEN_SYNC_LOG": "stderr", "QWEN_SYNC_LOG_LEVEL": "debug", "HOME": fixture.directory.path,
            ],
            stderr: log)
        defer { daemon.kill() }
        let serving = await eventually { !daemon.isRunning || access(controlSocket, F_OK) == 0 }
        #expect(serving && daemon.isRunning, "the daemon did not start: \(daemon.errorOutput)")

        try fixture.faults(["at-a": ["401"]])
        let answer = try await fixture.client("chat", "after refresh")
        #expect(answer["content"]?.stringValue?.hasSuffix(":after refresh") == true, "\(answer)")
        #expect(answer["content"]?.stringValue?.hasPrefix("echo:b") == false, "the refreshed account answers")
        #expect(try fixture.oauth.counter("refresh_requests") == 1)
        let id = try #require(fixture.ids["a"])
        #expect(try fixture.state().accounts.account(id: id)?.token.accessToken != "at-a-SECRET")
        let daemonLog = daemon.errorOutput
        #expect(daemonLog.contains("a client asked for a refresh of \(id)"), "the daemon did the refresh: \(daemonLog)")
    }
}
