import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// The daemon under systemd: sd_notify datagrams and journald fields.
@Suite("daemon: systemd")
struct SystemdEndToEndTests {
    static let hour: Int64 = 3_600_000

    @Test("NOTIFY_SOCKET: READY=1 with STATUS=, WATCHDOG=1, RELOADING=1 on SIGHUP, STOPPING=1 and exit 0 on SIGTERM")
    func notifyProtocol() async throws {
        let fixture = try await DaemonFixture()
        try fixture.loginAs("alice", expiresInMs: Self.hour)
        let receiver = try NotifyReceiver()
        let daemon = try await fixture.startDaemon(
            environment: ["NOTIFY_SOCKET": receiver.path, "WATCHDOG_USEC": "1000000"], waitUntilServing: false
        )
        let ready = try #require(receiver.receive(until: { $0.contains("READY=1") }), "no READY=1")
        #expect(ready.contains("STATUS=1 accounts (1 healthy), active acct_"), "\(ready)")
        #expect(fixture.ping(), "READY=1 comes after the socket listens")
        #expect(receiver.receive(until: { $0.contains("WATCHDOG=1") }) != nil, "no WATCHDOG=1 within 2 s of a 1 s watchdog")
        #expect(receiver.receive(until: { $0.contains("WATCHDOG=1") }) != nil, "the watchdog keeps being fed")

        daemon.process.signal(SIGHUP)
        #expect(receiver.receive(until: { $0.contains("RELOADING=1") }) != nil)
        #expect(receiver.receive(until: { $0.contains("READY=1") }) != nil, "READY=1 again after reloading")
        #expect(daemon.process.isRunning)

        // STATUS= follows what happens: a second account shows up in the summary.
        try fixture.loginAs("bob", expiresInMs: Self.hour)
        #expect(receiver.receive(until: { $0.contains("STATUS=2 accounts") }) != nil)

        daemon.process.signal(SIGTERM)
        #expect(receiver.receive(until: { $0.contains("STOPPING=1") }) != nil)
        #expect(await daemon.process.waitForExit(timeoutMs: 30_000) == 0)
    }

    @Test("SIGINT stops the daemon cleanly too")
    func sigint() async throws {
        let fixture = try await DaemonFixture()
        let daemon = try await fixture.startDaemon()
        daemon.process.signal(SIGINT)
        #expect(await daemon.process.waitForExit(timeoutMs: 30_000) == 0)
        #expect(DaemonFixture.read(daemon.log)?.contains("stop") == true)
    }
}

/// The daemon's own events in a real journald (root only).
@Suite("daemon: journald", .serialized)
struct DaemonJournaldTests {
    @Test(
        "journald gets QWEN_EVENT start, sync, refresh and stop with QWEN_ACCOUNT",
        .enabled(if: JournaldFixture.unavailableReason == nil, "needs root, journalctl and a journald (running, or /lib/systemd/systemd-journald)")
    )
    func events() async throws {
        let journald = try await JournaldFixture()
        let fixture = try await DaemonFixture(standInArguments: ["--expires-in", "3600"])
        try fixture.loginAs("alice", expiresInMs: 60_000)
        let daemon = try await fixture.startDaemon(refreshLead: 100, environment: ["QWEN_SYNC_LOG": "journal"])
        #expect(try await eventually(timeoutMs: 20_000) { try fixture.standIn.counter("successful_refreshes") == 1 })
        let account = try #require(try fixture.state().accounts.activeAccountID)
        #expect(await daemon.process.stop() == 0)

        let entries = try await journald.entries(
            matching: ["SYSLOG_IDENTIFIER=qwen-sync", "_PID=\(daemon.process.pid)"], atLeast: 4
        )
        let events = entries.compactMap { $0["QWEN_EVENT"] }
        for expected in ["start", "sync", "refresh", "stop"] { #expect(events.contains(expected), "\(events)") }
        #expect(entries.allSatisfy { $0["SYSLOG_IDENTIFIER"] == "qwen-sync" })
        let refresh = try #require(entries.first { $0["QWEN_EVENT"] == "refresh" })
        #expect(refresh["QWEN_ACCOUNT"] == account)
        #expect(refresh["PRIORITY"] == "6")
        let sync = try #require(entries.first { $0["QWEN_EVENT"] == "sync" })
        #expect(sync["QWEN_ACCOUNT"] == account)
        #expect(entries.allSatisfy { !($0["MESSAGE"] ?? "").contains("SECRET") })
    }
}
