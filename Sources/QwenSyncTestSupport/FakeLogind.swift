import Glibc
import QwenSyncCore

/// A private D-Bus bus (a `dbus-daemon` of its own) with a stand-in for systemd-logind on it:
/// it owns `org.freedesktop.login1`, hands out delay inhibitors and emits `PrepareForSleep`
/// when the test says so, as logind does around a suspend.
///
/// Point the code under test at it with ``address`` (for a process:
/// `DBUS_SYSTEM_BUS_ADDRESS`). The stand-in is Debian's `python3-dbus` and `python3-gi` run
/// by `/usr/bin/python3`; ``unavailableReason`` says when they are missing.
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

    /// The stand-in: `/usr/bin/python3 -c script <logind>`; reads `sleep`, `wake` and `count`
    /// lines on standard input and answers each on standard output.
    static let script = """
        import os, sys, time, dbus, dbus.service, dbus.mainloop.glib
        from gi.repository import GLib
        dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
        bus = dbus.bus.BusConnection(os.environ["FAKE_LOGIND_BUS"])
        held = {}
        waiting = []

        def say(text):
            print(text, flush=True)

        def released(fd, condition):
            os.close(fd)
            held.pop(fd, None)
            say("RELEASED %d" % len(held))
            if not held and waiting:
                started = waiting.pop()
                say("SLEEPING released %d" % int((time.monotonic() - started) * 1000))
            return False

        class Manager(dbus.service.Object):
            @dbus.service.method("org.freedesktop.login1.Manager", in_signature="ssss", out_signature="h")
            def Inhibit(self, what, who, why, mode):
                read_end, write_end = os.pipe()
                held[read_end] = (what, mode)
                GLib.io_add_watch(read_end, GLib.IO_HUP | GLib.IO_ERR, released)
                say("INHIBIT %s %s %s %d" % (what, who, mode, len(held)))
                handed = dbus.types.UnixFd(write_end)
                os.close(write_end)
                return handed

            @dbus.service.signal("org.freedesktop.login1.Manager", signature="b")
            def PrepareForSleep(self, start):
                pass

        name = dbus.service.BusName("org.freedesktop.login1", bus)
        manager = Manager(bus, "/org/freedesktop/login1")

        def too_late(started):
            if waiting and waiting[-1] is started:
                waiting.pop()
                say("SLEEPING timeout %d" % len(held))
            return False

        def command(source, condition):
            line = sys.stdin.readline().strip()
            if not line:
                loop.quit()
                return False
            if line == "sleep":
                manager.PrepareForSleep(True)
                if held:
                    started = time.monotonic()
                    waiting.append(started)
                    GLib.timeout_add(5000, too_late, started)
                else:
                    say("SLEEPING released 0")
            elif line == "wake":
                manager.PrepareForSleep(False)
                say("WOKE %d" % (time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000000))
            elif line == "count":
                say("HELD %d" % len(held))
            return True

        GLib.io_add_watch(sys.stdin, GLib.IO_IN | GLib.IO_HUP, command)
        say("READY")
        loop = GLib.MainLoop()
        loop.run()
        """

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
            "/usr/bin/python3", ["-c", script], environment: ["FAKE_LOGIND_BUS": address], stdout: nil, stdinPipe: true)
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
