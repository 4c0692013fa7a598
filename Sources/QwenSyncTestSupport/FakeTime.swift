import Glibc
import QwenSyncCore

/// A wall clock that a test moves for one process, while its monotonic clock keeps running:
/// libfaketime (Debian's `faketime`) preloaded with a timestamp file read at every call.
///
/// A real clock step does two things: every process reads a new time, and the kernel cancels
/// every `TFD_TIMER_CANCEL_ON_SET` timer. libfaketime does the first for the process it is
/// preloaded into; ``step(to:)`` does the second by setting the machine's clock to the time it
/// already shows (compensated for the microseconds the call takes), which moves no other
/// process's clock but tells the kernel's timers that the clock was set. That needs root
/// (`CAP_SYS_TIME`).
///
/// ```swift
/// let clock = try FakeTime(directory: scratch.path)
/// let daemon = try ChildProcess(path, [], environment: clock.environment)
/// try clock.step(to: "+45m")
/// ```
public struct FakeTime: Sendable {
    /// The file libfaketime reads the offset from (`+45m`, `-1h`, `+8h`, `+0`).
    public let timestampFile: String

    /// The preloaded library.
    public static let library = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"

    /// Why fake clock steps cannot be made here, or `nil` when they can.
    public static var unavailableReason: String? {
        if access(library, R_OK) != 0 { return "no \(library) (Debian package faketime)" }
        if getuid() != 0 { return "announcing a clock step to the kernel's timers needs root (CAP_SYS_TIME)" }
        return nil
    }

    /// Writes a timestamp file holding `+0` (the real time) into `directory`.
    ///
    /// - Throws: ``TestSupportError`` when it cannot be written.
    public init(directory: String) throws {
        timestampFile = directory + "/faketime"
        try Self.write(timestampFile, "+0")
    }

    /// The variables that put a process on this clock: its wall clock follows the file, its
    /// monotonic clock stays real.
    public var environment: [String: String?] {
        [
            "LD_PRELOAD": Self.library, "FAKETIME_TIMESTAMP_FILE": timestampFile, "FAKETIME_NO_CACHE": "1",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        ]
    }

    /// Moves the fake clock to `offset` from the real time (libfaketime's syntax: `+45m`,
    /// `+8h`, `-1h`) and tells the kernel's timers that the clock was set.
    ///
    /// - Throws: ``TestSupportError`` when the file cannot be written or the clock not set.
    public func step(to offset: String) throws {
        try Self.write(timestampFile, offset)
        var read = timespec()
        var readAt = timespec()
        clock_gettime(CLOCK_REALTIME, &read)
        clock_gettime(CLOCK_MONOTONIC, &readAt)
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        // The time shown, plus what passed since it was read: a step of well under a microsecond.
        var target = read
        let elapsedNs = (now.tv_sec - readAt.tv_sec) * 1_000_000_000 + (now.tv_nsec - readAt.tv_nsec)
        target.tv_nsec += elapsedNs
        target.tv_sec += target.tv_nsec / 1_000_000_000
        target.tv_nsec %= 1_000_000_000
        guard clock_settime(CLOCK_REALTIME, &target) == 0 else {
            throw TestSupportError("clock_settime: \(String(cString: strerror(errno)))")
        }
    }

    /// Replaces `path` with `text` atomically: libfaketime reads it at every clock call.
    private static func write(_ path: String, _ text: String) throws {
        try FileTools.write(path + ".new", text + "\n", mode: 0o644)
        guard rename(path + ".new", path) == 0 else { throw TestSupportError("rename \(path): errno \(errno)") }
    }
}
