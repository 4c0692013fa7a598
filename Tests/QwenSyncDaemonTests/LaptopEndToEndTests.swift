import Glibc
import QwenSyncCore
import QwenSyncDaemon
import QwenSyncTestSupport
import Testing

/// What the laptop tests share: a skip that says why, and waits for the stand-in's refreshes.
enum Laptop {
    /// Prints `skipped: <why>` and ends the test as skipped, never as passed.
    static func skip(_ why: String) throws -> Never {
        print("skipped: \(why)")
        try Test.cancel("skipped: \(why)")
    }

    /// Waits until the stand-in has answered `count` successful refreshes.
    ///
    /// - Returns: the CLOCK_MONOTONIC milliseconds when that was seen, or `nil` after `timeoutMs`.
    static func refreshes(_ count: Int64, on standIn: StandInServer, timeoutMs: Int64 = 15_000) async throws -> Int64? {
        let deadline = WallClock.monotonicMs() + timeoutMs
        while WallClock.monotonicMs() < deadline {
            if try standIn.counter("successful_refreshes") >= count { return WallClock.monotonicMs() }
            try await Task.sleep(for: .milliseconds(5))
        }
        return nil
    }

    /// Starts `qwen-syncd` itself, as `qwen-sync daemon` would (under `LD_PRELOAD`, `qwen-sync
    /// daemon` would hand it nothing), and waits until it answers.
    static func startDaemon(
        _ fixture: DaemonFixture, environment: [String: String?], wrapper: [String] = []
    ) async throws -> (process: ChildProcess, log: String) {
        let log = fixture.directory.appending("syncd-\(UInt32.random(in: 0 ... .max)).log")
        let path = BuiltProducts.path(of: "qwen-syncd")
        let process = try ChildProcess(
            wrapper.first ?? path, Array(wrapper.dropFirst()) + (wrapper.isEmpty ? [] : [path]), environment: fixture.environment(environment),
            stderr: log)
        guard await eventually(timeoutMs: 30_000, { !process.isRunning || fixture.ping() }), process.isRunning else {
            throw TestSupportError("qwen-syncd did not start: \(DaemonFixture.read(log) ?? "")")
        }
        return (process, log)
    }

    /// Waits until the daemon has taken in the files (its status lists `count` accounts).
    static func accountsKnown(_ fixture: DaemonFixture, _ count: Int) async throws {
        let known = await eventually { (try? fixture.status()["accounts"]?.arrayValue?.count) == count }
        guard known else { throw TestSupportError("the daemon never listed \(count) accounts") }
    }

    /// How many lines of the daemon's log contain `text`.
    static func lines(_ log: String, containing text: String) -> Int {
        (DaemonFixture.read(log) ?? "").split(separator: "\n").filter { $0.contains(text) }.count
    }
}

/// Clock steps with a real daemon process: its wall clock moved by libfaketime while its
/// monotonic clock runs on, the kernel told that the clock was set (see ``FakeTime``).
@Suite("daemon: clock steps end to end", .serialized)
struct ClockStepEndToEndTests {
    static let minute: Int64 = 60_000

    /// A daemon on a fake clock, with alice's token expiring in 50 min: due in 8–10 min (lead 40
    /// min, jitter up to 2 min), so nothing happens until the clock moves.
    private func scene() async throws -> (DaemonFixture, FakeTime, (process: ChildProcess, log: String)) {
        if let why = FakeTime.unavailableReason { try Laptop.skip(why) }
        let fixture = try await DaemonFixture()
        let clock = try FakeTime(directory: fixture.directory.path)
        try fixture.loginAs("alice", expiresInMs: 50 * Self.minute)
        let daemon = try await Laptop.startDaemon(fixture, environment: clock.environment)
        try await Laptop.accountsKnown(fixture, 1)
        #expect(try fixture.standIn.counter("successful_refreshes") == 0, "nothing is due before the step")
        return (fixture, clock, daemon)
    }

    @Test("the wall clock jumps 45 min and 8 h forward: the refresh follows within 2 s, one clock entry each", arguments: ["+45m", "+8h"])
    func forward(offset: String) async throws {
        let (fixture, clock, daemon) = try await scene()
        let steppedAt = WallClock.monotonicMs()
        try clock.step(to: offset)
        let refreshedAt = try #require(await Laptop.refreshes(1, on: fixture.standIn), "no refresh after the step")
        print("step \(offset) to refresh: \(refreshedAt - steppedAt) ms")
        #expect(refreshedAt - steppedAt <= 2_000)
        #expect(await daemon.process.stop() == 0)
        #expect(Laptop.lines(daemon.log, containing: "the wall clock was set") == 1, "\(DaemonFixture.read(daemon.log) ?? "")")
        #expect(try fixture.standIn.counter("dead_token_reuse") == 0)
    }

    @Test("the wall clock steps 1 h back: no refresh storm, and the refresh still comes when the clock reaches it")
    func backward() async throws {
        let (fixture, clock, daemon) = try await scene()
        try clock.step(to: "-1h")
        // The step is measured against the monotonic clock, in whole seconds: -3599 or -3600.
        let logged = await eventually {
            Laptop.lines(daemon.log, containing: "the wall clock was set (-3599 s") + Laptop.lines(daemon.log, containing: "the wall clock was set (-3600 s")
                == 1
        }
        #expect(logged, "\(DaemonFixture.read(daemon.log) ?? "")")
        // The status is answered after the events of its turn: a refresh started by the step shows.
        #expect(try fixture.status()["refresh_in_flight"]?.isNull == true)
        #expect(try fixture.standIn.counter("refresh_requests") == 0, "a backward step refreshes nothing")
        let steppedAt = WallClock.monotonicMs()
        try clock.step(to: "+45m")
        let refreshedAt = try #require(await Laptop.refreshes(1, on: fixture.standIn), "the refresh was lost after the backward step")
        #expect(refreshedAt - steppedAt <= 2_000)
        #expect(await daemon.process.stop() == 0)
        #expect(try fixture.standIn.counter("refresh_requests") == 1, "one refresh in all: no storm")
    }
}

/// logind's `PrepareForSleep` on a private bus, with a real daemon process.
@Suite("daemon: suspend and resume end to end")
struct SleepEndToEndTests {
    @Test(
        "PrepareForSleep(true): the refresh in flight ends, the inhibitor is released with no lock held, nothing starts while asleep; (false): the due refresh follows within 2 s"
    )
    func sleepAndResume() async throws {
        if let why = await FakeLogind.unavailableReason { try Laptop.skip(why) }
        let logind = try await FakeLogind.start()
        let fixture = try await DaemonFixture()
        let settings = try fixture.settings
        // A refresh in flight when the lid closes: alice is due at start, the server takes 3 s.
        _ = try fixture.standIn.configure(["faults": [["kind": "delay", "delay_ms": 3000, "grant_type": "refresh_token"]]])
        try fixture.loginAs("alice", expiresInMs: 20 * 60_000)
        let daemon = try await Laptop.startDaemon(fixture, environment: ["DBUS_SYSTEM_BUS_ADDRESS": logind.address])
        try await logind.waitForInhibitors(1)
        let inFlight = await eventually { (try? fixture.status()["refresh_in_flight"]?.stringValue) != nil }
        #expect(inFlight, "\(DaemonFixture.read(daemon.log) ?? "")")
        #expect(try await logind.sleep(), "logind's delay ran out: the daemon kept its inhibitor")
        #expect(!FileTools.exists(settings.credentialsLockPath) && !FileTools.exists(settings.accountsLockPath), "a lock file is held into the sleep")
        #expect(try fixture.standIn.counter("successful_refreshes") == 1, "the refresh in flight finished before the sleep")

        // Asleep: bob logs in with a due token; the daemon takes no lock and starts nothing.
        try fixture.loginAs("bob", expiresInMs: 20 * 60_000)
        let status = try fixture.status()  // answered after the turn that saw the file change
        #expect(status["refresh_in_flight"]?.isNull == true)
        #expect(status["accounts"]?.arrayValue?.count == 1, "bob is taken in after the resume, not during the sleep")
        #expect(!FileTools.exists(settings.credentialsLockPath) && !FileTools.exists(settings.accountsLockPath))

        let wokeAt = try await logind.wake()
        let refreshedAt = try #require(await Laptop.refreshes(2, on: fixture.standIn), "no refresh after the resume")
        print("resume to refresh: \(refreshedAt - wokeAt) ms")
        #expect(refreshedAt - wokeAt <= 2_000)
        try await logind.waitForInhibitors(1)
        let clock = try #require(try fixture.status()["clock"]?.objectValue)
        #expect(clock["kind"]?.stringValue == "resume")
        #expect(await daemon.process.stop() == 0)
        #expect(Laptop.lines(daemon.log, containing: "the machine resumed") == 1, "\(DaemonFixture.read(daemon.log) ?? "")")
        #expect(try fixture.standIn.counter("dead_token_reuse") == 0)
    }

    @Test("no logind on the bus: the daemon runs without the watcher and says so once at debug level")
    func withoutLogind() async throws {
        if let why = await FakeLogind.unavailableReason { try Laptop.skip(why) }
        let bus = try await FakeLogind.start(withService: false)
        let fixture = try await DaemonFixture()
        let daemon = try await Laptop.startDaemon(fixture, environment: ["DBUS_SYSTEM_BUS_ADDRESS": bus.address])
        #expect(await daemon.process.stop() == 0)
        #expect(Laptop.lines(daemon.log, containing: "no logind to announce sleeps") == 1, "\(DaemonFixture.read(daemon.log) ?? "")")
    }
}

/// The network taken away and given back, in a network namespace: the daemon inside it, the
/// stand-in server on the machine's side of a veth pair (reached through a relay on the
/// namespace's loopback, since the daemon allows http:// only to loopback addresses).
@Suite("daemon: network return end to end")
struct NetworkReturnEndToEndTests {
    /// How long the link stays down (the benchmark keeps it down 2 min).
    static let downMs: Int64 = 20_000
    /// The relay between the namespace's loopback and the veth link (shared with the benchmark).
    static let relayScript = PathNormalizer.directory(of: #filePath) + "/../../Benchmarks/tcp_relay.py"

    @Test("the link is down while a refresh is due: retries only on the back-off schedule, and the refresh within 2 s of the link coming back")
    func linkReturns() async throws {
        if let why = NetworkNamespace.unavailableReason { try Laptop.skip(why) }
        let namespace = try await NetworkNamespace()
        let fixture = try await DaemonFixture(standInArguments: ["--listen-any"])
        let subnet = "10.213.\(UInt8.random(in: 0 ... 255))"
        let hostSide = "qs\(RandomHex.string(byteCount: 4))"
        try await NetworkNamespace.hostIP(["link", "add", hostSide, "type", "veth", "peer", "name", "uplink", "netns", namespace.name])
        try await NetworkNamespace.hostIP(["address", "add", "\(subnet).1/30", "dev", hostSide])
        try await NetworkNamespace.hostIP(["link", "set", hostSide, "up"])
        try await namespace.ip(["address", "add", "\(subnet).2/30", "dev", "uplink"])
        try await namespace.ip(["link", "set", "uplink", "up"])
        // The daemon keeps its loopback base URL: a relay on the namespace's 127.0.0.1 forwards
        // across the veth link to the stand-in.
        let relay = try ChildProcess(
            NetworkNamespace.ipPath,
            [
                "netns", "exec", namespace.name, "/usr/bin/env", "python3", Self.relayScript, String(fixture.standIn.port), "\(subnet).1",
                String(fixture.standIn.port),
            ],
            stdout: nil)
        defer { relay.kill() }
        guard await relay.readLine(timeoutMs: 30_000) == "RELAYING" else { throw TestSupportError("the relay did not start") }
        // The link goes down with alice's refresh due: the daemon starts into the outage.
        try await namespace.ip(["link", "set", "uplink", "down"])
        try fixture.loginAs("alice", expiresInMs: 20 * 60_000)
        let downAt = WallClock.monotonicMs()
        let daemon = try await Laptop.startDaemon(fixture, environment: [:], wrapper: [NetworkNamespace.ipPath, "netns", "exec", namespace.name])
        let failing = await eventually { ((try? fixture.status()["counters"]?.objectValue?["refresh_failures"]?.int64Value) ?? 0) >= 1 }
        #expect(failing, "the refresh did not fail with the link down: \(DaemonFixture.read(daemon.log) ?? "")")
        try await Task.sleep(for: .milliseconds(max(0, Self.downMs - (WallClock.monotonicMs() - downAt))))
        let attempts = try fixture.status()["counters"]?.objectValue?["refresh_failures"]?.int64Value ?? -1
        // The back-off: 2 s doubling, at most 10 s while the token is inside a client's window.
        var allowed: Int64 = 0
        var at: Int64 = 0
        while at <= Self.downMs + 1_000 {
            allowed += 1
            at += min(2_000 << min(allowed - 1, 6), 10_000)
        }
        print("attempts while down for \(Self.downMs / 1000) s: \(attempts) (the back-off allows \(allowed))")
        #expect(attempts >= 1 && attempts <= allowed)

        try await namespace.ip(["link", "set", "uplink", "up"])
        let upAt = WallClock.monotonicMs()
        let refreshedAt = try #require(await Laptop.refreshes(1, on: fixture.standIn), "no refresh after the link came back")
        print("link-up to refresh: \(refreshedAt - upAt) ms")
        #expect(refreshedAt - upAt <= 2_000)
        #expect(await daemon.process.stop() == 0)
        #expect(try fixture.standIn.counter("dead_token_reuse") == 0)
    }
}

/// A full disk during a rotating refresh: the qwen directory on a small tmpfs the test fills
/// while the server holds its answer, then empties again.
@Suite("daemon: full disk end to end")
struct FullDiskEndToEndTests {
    /// The filesystem the test mounts as the qwen directory, unmounted however the test ends.
    final class SmallFilesystem {
        let path: String
        private var mounted = false

        init(at path: String, size: String) async throws {
            self.path = path
            let mount = try ChildProcess("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size),mode=0700", "tmpfs", path])
            guard await mount.waitForExit() == 0 else { throw TestSupportError("mount -t tmpfs failed") }
            mounted = true
        }

        deinit {
            if mounted { _ = system("umount -l '\(path)'") }
        }

        /// Writes a filler file until the filesystem is full; returns its path.
        func fill() throws -> String {
            let filler = path + "/filler"
            let descriptor = open(filler, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw TestSupportError("open \(filler): errno \(errno)") }
            defer { close(descriptor) }
            let chunk = [UInt8](repeating: 0x5A, count: 4096)
            while chunk.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) > 0 {}
            guard errno == ENOSPC else { throw TestSupportError("filling \(path): errno \(errno)") }
            // Whatever bytes are left in a partial page: take them too.
            var byte: UInt8 = 0
            while write(descriptor, &byte, 1) > 0 {}
            return filler
        }
    }

    @Test("the disk fills while the server rotates the token: 0 superseded tokens presented, 0 tokens lost, the store healed within 10 s of space returning")
    func fullDuringRotation() async throws {
        if getuid() != 0 { try Laptop.skip("mounting a tmpfs needs root") }
        let fixture = try await DaemonFixture()
        let disk = try await SmallFilesystem(at: fixture.qwenDirectory, size: "512k")
        _ = try fixture.standIn.configure(["faults": [["kind": "delay", "delay_ms": 2000, "grant_type": "refresh_token"]]])
        try fixture.loginAs("alice", expiresInMs: 20 * 60_000)  // due at once with the 40 min lead
        let daemon = try await fixture.startDaemon(refreshLead: 2_400)
        #expect(try await eventually(timeoutMs: 20_000) { try fixture.standIn.counter("refresh_requests") >= 1 })
        let filler = try disk.fill()  // while the server holds its rotating answer
        #expect(try await eventually(timeoutMs: 20_000) { try fixture.standIn.counter("successful_refreshes") >= 1 })
        let live = try #require(try fixture.standIn.liveRefreshTokens(sub: "alice").first)
        // Let the daemon meet the full disk (its store write fails) before space returns.
        let failed = await eventually(timeoutMs: 20_000) { (DaemonFixture.read(daemon.log) ?? "").contains("space") }
        #expect(failed, "the daemon never met the full disk: \(DaemonFixture.read(daemon.log) ?? "")")

        guard unlink(filler) == 0 else { throw TestSupportError("unlink \(filler): errno \(errno)") }
        let freedAt = WallClock.monotonicMs()
        let healed = await eventually(timeoutMs: 12_000) { fixture.credentialsOnDisk()?.refreshToken == live }
        let healMs = WallClock.monotonicMs() - freedAt
        print("space returned to store healed: \(healed ? "\(healMs) ms" : "not within 12 s")")
        #expect(
            healed && healMs <= 10_000,
            "healed: \(healed) after \(healMs) ms; files \(FileTools.list(fixture.qwenDirectory)); \(DaemonFixture.read(daemon.log) ?? "")")
        #expect(try fixture.state().accounts.activeAccount?.token.refreshToken == live, "the store holds the token the server rotated to")
        #expect(try fixture.standIn.counter("dead_token_reuse") == 0, "a superseded refresh token was presented")
        #expect(try fixture.standIn.liveRefreshTokens(sub: "alice") == [live], "a token was lost")
        #expect(await daemon.process.stop() == 0)
    }
}
