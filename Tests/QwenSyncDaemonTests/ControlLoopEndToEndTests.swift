import Glibc
import QwenControl
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// The control socket cannot hold the daemon's loop: real daemon, real clients in another
/// process that misbehave the whole time.
@Suite("daemon: no control client stalls the loop")
struct ControlLoopEndToEndTests {
    /// Holds 100 connections that never send anything and one that sends a byte every 0.4 s
    /// and never a newline, opening a new one whenever the daemon cuts one off; prints
    /// `ready` once they are all open, and at the end how many were cut off.
    private static let stallingClients = #"""
        import select, socket, sys, time
        path, duration = sys.argv[1], float(sys.argv[2])
        def connect():
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            s.setblocking(False)
            return s
        idle = [connect() for _ in range(100)]
        trickler = connect()
        print("ready", flush=True)
        cut_off, next_byte, end = 0, 0.0, time.monotonic() + duration
        while time.monotonic() < end:
            if time.monotonic() >= next_byte:
                try:
                    trickler.send(b"{")
                except OSError:
                    trickler.close(); trickler = connect(); cut_off += 1
                next_byte = time.monotonic() + 0.4
            readable, _, _ = select.select(idle + [trickler], [], [], 0.1)
            for s in readable:
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                if data:
                    continue  # the error line; the end of the connection follows
                s.close(); cut_off += 1
                if s is trickler:
                    trickler = connect()
                else:
                    idle[idle.index(s)] = connect()
        print("cut off", cut_off, flush=True)
        """#

    @Test("100 idle connections and one trickling a byte every 0.4 s: status answers within 1 s every time, and a due refresh happens")
    func slowClientsCannotStall() async throws {
        let fixture = try await DaemonFixture(standInArguments: ["--expires-in", "50"])
        let daemon = try await fixture.startDaemon(refreshLead: 40)
        let stalling = try ChildProcess(
            "/usr/bin/env", ["python3", "-c", Self.stallingClients, fixture.socketPath, "60"],
            stdout: fixture.directory.appending("stalling.out"), stderr: fixture.directory.appending("stalling.err"))
        defer { stalling.kill() }
        try await stalling.waitForOutput("ready")

        // Due for a refresh within a few seconds (45 s left, lead 40 s with up to 4 s of jitter).
        try fixture.loginAs("alice", expiresInMs: 45_000)
        // The daemon's answer is timed from connecting to the end of the reply (what the loop
        // controls); the whole `qwen-sync status` process is run too, and its time reported:
        // starting a debug build beside a parallel test run can alone take longer than 1 s.
        var answers: [Int64] = []
        var processes: [Int64] = []
        var refreshed = false
        // At least 5 s: the daemon cuts every stalling connection off twice and they reconnect.
        let begun = WallClock.monotonicMs()
        let deadline = begun + 40_000
        while !refreshed || answers.count < 10 || WallClock.monotonicMs() < begun + 5_000, WallClock.monotonicMs() < deadline {
            let asked = WallClock.monotonicMs()
            let reply = try ControlClient.request(.status, at: fixture.socketPath, timeout: .seconds(10))
            answers.append(WallClock.monotonicMs() - asked)
            let counters = try DaemonStatus(json: reply).counters
            refreshed = refreshed || counters.refreshes >= 1
            let started = WallClock.monotonicMs()
            let status = try await runProduct("qwen-sync", ["status", "--json"], environment: fixture.environment())
            processes.append(WallClock.monotonicMs() - started)
            #expect(status.exitCode == 0, "\(status.standardError)")
            #expect(stalling.isRunning, "the stalling clients kept at it: \(stalling.errorOutput)")
        }
        #expect(refreshed, "the due refresh happened while the clients stalled: \(DaemonFixture.read(daemon.log) ?? "")")
        #expect(
            answers.count >= 10 && answers.allSatisfy { $0 < 1_000 },
            "daemon answer times (ms): \(answers); whole qwen-sync status processes (ms): \(processes)")
        #expect(try fixture.standIn.stats()["successful_refreshes"]?.int64Value ?? 0 >= 1)
        stalling.kill()
        #expect(await daemon.process.stop() == 0)
    }
}
