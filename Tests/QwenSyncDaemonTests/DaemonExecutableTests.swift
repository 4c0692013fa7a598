import Glibc
import QwenSyncCore
import QwenSyncDaemon
import QwenSyncTestSupport
import Testing

/// `qwen-sync daemon` hands over to `qwen-syncd`, which never loads libcurl.
@Suite("daemon: the qwen-syncd executable")
struct DaemonExecutableTests {
    @Test("qwen-sync daemon becomes qwen-syncd (same pid), refreshes through a child, and never maps libcurl")
    func handsOverAndRefreshesWithoutLibcurl() async throws {
        let fixture = try await DaemonFixture(standInArguments: ["--expires-in", "3600"])
        try fixture.loginAs("alice", expiresInMs: 45_000)
        let daemon = try await fixture.startDaemon(refreshLead: 40)
        #expect(try Self.executable(of: daemon.process.pid) == (try Self.resolved(BuiltProducts.path(of: DaemonExecutable.name))))
        #expect(try await eventually(timeoutMs: 15_000) { try fixture.standIn.counter("successful_refreshes") >= 1 })
        #expect(await eventually(timeoutMs: 5_000) { (fixture.credentialsOnDisk()?.expiryDate ?? 0) > WallClock.nowMs() + 600_000 })
        let maps = try Self.text(of: "/proc/\(daemon.process.pid)/maps")
        #expect(!maps.contains("libcurl"), "the daemon mapped libcurl")
        let log = DaemonFixture.read(daemon.log) ?? ""
        #expect(!log.contains("running the daemon in this process"))
        #expect(await daemon.process.stop() == 0)
    }

    @Test("without qwen-syncd beside it, qwen-sync daemon runs in-process and says so")
    func fallsBackInProcess() async throws {
        let fixture = try await DaemonFixture()
        let lone = fixture.directory.appending("bin/qwen-sync")
        #expect(mkdir(fixture.directory.appending("bin"), 0o700) == 0)
        let copy = try await runProduct("/bin/cp", [BuiltProducts.path(of: "qwen-sync"), lone])
        try #require(copy.exitCode == 0, "\(copy.standardError)")
        let log = fixture.directory.appending("lone.log")
        let process = try ChildProcess(lone, ["daemon"], environment: fixture.environment(), stderr: log)
        #expect(await eventually(timeoutMs: 10_000) { !process.isRunning || fixture.ping() })
        #expect(try Self.executable(of: process.pid) == (try Self.resolved(lone)))
        #expect((DaemonFixture.read(log) ?? "").contains("qwen-syncd is not installed beside qwen-sync; running the daemon in this process"))
        #expect(await process.stop() == 0)
    }

    @Test("qwen-syncd refuses arguments (exit 2) and a refresh lead inside the clients' window (exit 1)")
    func refusesWhatItCannotUse() async throws {
        let fixture = try await DaemonFixture()
        let arguments = try await runProduct(DaemonExecutable.name, ["--qwen-dir", fixture.qwenDirectory], environment: fixture.environment())
        #expect(arguments.exitCode == 2)
        #expect(arguments.standardError.contains("start the daemon with `qwen-sync daemon`"))
        let lead = try await runProduct(
            DaemonExecutable.name, environment: fixture.environment([DaemonExecutable.refreshLeadVariable: "20"]))
        #expect(lead.exitCode == 1)
        #expect(lead.standardError == "qwen-sync: QWEN_SYNC_REFRESH_LEAD must be more than 30 seconds (clients refresh themselves inside the last 30 s)\n")
        #expect(!fixture.ping())
    }

    /// The executable a process runs, symbolic links resolved.
    private static func executable(of pid: pid_t) throws -> String { try resolved("/proc/\(pid)/exe") }

    /// `path` with every symbolic link resolved.
    private static func resolved(_ path: String) throws -> String {
        guard let real = realpath(path, nil) else { throw TestSupportError("realpath \(path): errno \(errno)") }
        defer { free(real) }
        return String(cString: real)
    }

    private static func text(of path: String) throws -> String {
        guard let text = DaemonFixture.read(path) else { throw TestSupportError("cannot read \(path)") }
        return text
    }
}
