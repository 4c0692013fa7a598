import Glibc
import QwenSyncCore
@testable import QwenSyncDaemon
import QwenSyncTestSupport
import Testing

/// What keeps the daemon small: `qwen-sync daemon` hands over to `qwen-syncd`, which never
/// loads libcurl, and an idle daemon gives back the code pages it ran.
@Suite("daemon: footprint")
struct DaemonFootprintTests {
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
        let bin = fixture.directory.appending("bin")
        #expect(
            (DaemonFixture.read(log) ?? "").contains(
                "no executable qwen-syncd at \(PathNormalizer.directory(of: bin))/libexec/qwen-sync/qwen-syncd or \(bin)/qwen-syncd; running the daemon in this process"
            ))
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

    @Test("5 s after its last event the daemon gives back its code pages, and again after the next event")
    func givesBackCodePagesWhenIdle() async throws {
        let fixture = try await DaemonFixture()
        try fixture.loginAs("alice", expiresInMs: 3_600_000)
        let daemon = try await fixture.startDaemon()
        #expect(await eventually { Self.givenBackKB(in: daemon.log).count == 1 })
        let first = try #require(Self.givenBackKB(in: daemon.log).first)
        let idleKB = try Self.residentCodeKB(of: daemon.process.pid)
        #expect(first >= 1024 && idleKB < first, "gave back \(first) kB, holds \(idleKB) kB of code now")
        // The next event maps back what it runs, and the daemon gives it back again once quiet.
        try fixture.writeCredentials(try fixture.credentials(for: "bob", expiresInMs: 3_600_000))
        #expect(await eventually { (try? fixture.state().accounts.accounts.count) == 2 })
        #expect(fixture.ping())
        #expect(await eventually { Self.givenBackKB(in: daemon.log).count == 2 })
        #expect((Self.givenBackKB(in: daemon.log).last ?? 0) > 0)
        #expect(await daemon.process.stop() == 0)
    }

    /// The kilobytes of each "idle: gave back N kB of code pages" line of a daemon log, in order.
    private static func givenBackKB(in log: String) -> [Int] {
        (DaemonFixture.read(log) ?? "").split(separator: "\n").compactMap { line in
            guard let range = line.firstRange(of: "idle: gave back ") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
    }

    @Test("only read-only executable file mappings without private pages are given back")
    func eligibleMappings() {
        let smaps = """
            55a6e5828000-55a6e657e000 r-xp 00000000 fe:00 5325285                    /usr/libexec/qwen-sync/qwen-syncd
            Size:              14680 kB
            Rss:                3600 kB
            Anonymous:             0 kB
            VmFlags: rd ex mr mw me
            55a6e657f000-55a6e65d6000 r--p 00d56000 fe:00 5325285                    /usr/libexec/qwen-sync/qwen-syncd
            Rss:                 348 kB
            Anonymous:           220 kB
            7f0000000000-7f0000100000 r-xp 00000000 fe:00 42                         /usr/lib/x86_64-linux-gnu/libc.so.6
            Rss:                1200 kB
            Anonymous:             4 kB
            7f0000200000-7f0000300000 r-xp 00000000 fe:00 43                         /usr/lib/x86_64-linux-gnu/libm.so.6
            Rss:                 400 kB
            Anonymous:             0 kB
            7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0                          [vdso]
            Rss:                   8 kB
            Anonymous:             0 kB
            7f0000400000-7f0000500000 rw-p 00000000 00:00 0
            Rss:                  64 kB
            Anonymous:            64 kB
            """
        #expect(
            ResidentCode.eligibleMappings(in: smaps) == [
                .init(start: 0x55a6_e582_8000, end: 0x55a6_e657_e000, residentKB: 3600),
                .init(start: 0x7f00_0020_0000, end: 0x7f00_0030_0000, residentKB: 400),
            ])
    }

    /// Kilobytes resident in the process's code mappings that an idle daemon gives back.
    private static func residentCodeKB(of pid: pid_t) throws -> Int {
        ResidentCode.eligibleMappings(in: try text(of: "/proc/\(pid)/smaps")).reduce(0) { $0 + $1.residentKB }
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
