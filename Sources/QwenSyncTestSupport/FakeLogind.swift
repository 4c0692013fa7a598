import Glibc
import QwenSyncCore

/// A private D-Bus bus (a `dbus-daemon` of its own) with a stand-in for systemd-logind on it:
/// it owns `org.freedesktop.login1`, hands out delay inhibitors and emits `PrepareForSleep`
/// when the test says so, as logind does around a suspend.
///
/// Point the code under test at it with ``address`` (for a process:
/// `DBUS_SYSTEM_BUS_ADDRESS`). The stand-in is Debian's `python3-dbus` and `python3-gi` run
/// by `/usr/bin/python3` (`Benchmarks/fake_logind.py`); ``unavailableReason`` says when they
/// are missing.
///
/// ```swift
/// let logind = try await FakeLogind.start()
/// try await logind.waitForInhibitors(1)
/// let released = try await logind.sleep()   // PrepareForSleep(true), then waits for the inhibitors
/// try await logind.wake()                    // PrepareForSleep(false)
/// ```
public final class FakeLogind: Sendable {
    /// The bus address, e.g. `unix:path=/tmp/dbus-…`.
    public let address: String
    private let bus: ChildProcess
    private let service: ChildProcess?

    /// The stand-in's script, shared with the benchmarks (`Benchmarks/fake_logind.py`).
    static let script = PathNormalizer.directory(of: #filePath) + "/../../Benchmarks/fake_logind.py"

    private init(address: String, bus: ChildProcess, service: ChildProcess?) {
        self.address = address
        self.bus = bus
        self.service = service
    }

    /// Both are throwaway: SIGKILL, no grace (a SIGTERM may be blocked in the mask they inherit).
    deinit {
        service?.kill()
        bus.kill()
    }

    /// Why the stand-in cannot run here (`dbus-daemon`, or Debian's python3 with `dbus` and
    /// `gi`, missing), or `nil` when it can.
    public static var unavailableReason: String? {
        get async {
            guard access("/usr/bin/dbus-daemon", X_OK) == 0 else { return "no /usr/bin/dbus-daemon (Debian package dbus)" }
            let probe = try? ChildProcess("/usr/bin/python3", ["-c", "import dbus, dbus.mainloop.glib, gi.repository.GLib"])
            guard let probe, await probe.waitForExit() == 0 else {
                return "/usr/bin/python3 cannot import dbus and gi (Debian packages python3-dbus and python3-gi)"
            }
            return nil
        }
    }

    /// Starts a private bus and the stand-in on it, and waits until it owns its name.
    ///
    /// - Parameter withService: `false` starts the bus alone (a system without logind).
    /// - Throws: ``TestSupportError`` when either does not start within 30 s.
    public static func start(withService: Bool = true) async throws -> FakeLogind {
        let bus = try ChildProcess("/usr/bin/dbus-daemon", ["--session", "--nofork", "--nopidfile", "--print-address=1"], stdout: nil)
        guard let address = await bus.readLine(timeoutMs: 30_000), address.hasPrefix("unix:") else {
            throw TestSupportError("dbus-daemon printed no address (exit \(bus.terminate()))")
        }
        guard withService else { return FakeLogind(address: address, bus: bus, service: nil) }
        let service = try ChildProcess(
            "/usr/bin/python3", [script], environment: ["FAKE_LOGIND_BUS": address], stdout: nil, stdinPipe: true)
        let logind = FakeLogind(address: address, bus: bus, service: service)
        guard let line = await service.readLine(timeoutMs: 30_000), line == "READY" else {
            throw TestSupportError("the logind stand-in did not start (exit \(service.terminate()))")
        }
        return logind
    }

    /// Emits `PrepareForSleep(true)` and waits until every delay inhibitor is released (or
    /// logind's 5 s delay runs out).
    ///
    /// - Returns: whether the inhibitors were released (rather than the delay running out).
    /// - Throws: ``TestSupportError`` when the stand-in does not answer.
    public func sleep() async throws -> Bool {
        try send("sleep")
        let line = try await nextLine(startingWith: "SLEEPING")
        return line.hasPrefix("SLEEPING released")
    }

    /// Emits `PrepareForSleep(false)`, the resume.
    ///
    /// - Returns: the CLOCK_MONOTONIC milliseconds just after the signal went out.
    /// - Throws: ``TestSupportError`` when the stand-in does not answer.
    @discardableResult
    public func wake() async throws -> Int64 {
        try send("wake")
        let line = try await nextLine(startingWith: "WOKE")
        guard let ms = Int64(line.dropFirst("WOKE ".count)) else { throw TestSupportError("the logind stand-in said \(line)") }
        return ms
    }

    /// Waits until `count` delay inhibitors are held.
    ///
    /// - Throws: ``TestSupportError`` when that does not happen within 30 s.
    public func waitForInhibitors(_ count: Int) async throws {
        let deadline = WallClock.monotonicMs() + 30_000
        while WallClock.monotonicMs() < deadline {
            try send("count")
            if try await nextLine(startingWith: "HELD") == "HELD \(count)" { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestSupportError("the logind stand-in never saw \(count) inhibitors")
    }

    private func send(_ command: String) throws {
        guard let writer = service?.stdinWriter else { throw TestSupportError("the logind stand-in is not running") }
        let line = Array((command + "\n").utf8)
        guard write(writer, line, line.count) == line.count else { throw TestSupportError("the logind stand-in is gone") }
    }

    /// The next line starting with `prefix`; other lines (inhibitors taken and released) are skipped.
    private func nextLine(startingWith prefix: String) async throws -> String {
        while let line = await service?.readLine(timeoutMs: 30_000) {
            if line.hasPrefix(prefix) { return line }
        }
        throw TestSupportError("the logind stand-in said no \(prefix) (exit \(service?.exitCode.map(String.init) ?? "none"))")
    }
}
