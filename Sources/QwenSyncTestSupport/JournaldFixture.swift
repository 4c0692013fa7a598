import Glibc
import QwenSyncCore

/// A systemd-journald for tests: the one already listening, or one started by the fixture.
///
/// When nothing listens on ``socket``, the fixture creates `/run/systemd/journal`, launches
/// ``binary`` without arguments (an argument would name a journal namespace) and waits for the
/// socket. Only a journald started here is stopped (when the fixture goes away), and only then
/// are `/run/systemd/journal` and `/run/log/journal` removed, and `/run/log` when it did not
/// exist before. An advisory lock on `/tmp/qwen-sync-journald-test.lock`, held for the
/// fixture's lifetime, serializes fixtures across tests and test processes.
///
/// Check ``unavailableReason`` first: a test should be skipped when it is not `nil`.
public final class JournaldFixture {
    /// The journald executable started when none runs.
    public static let binary = "/lib/systemd/systemd-journald"
    /// The socket journald listens on for native protocol entries.
    public static let socket = "/run/systemd/journal/socket"
    /// The `journalctl` executable, or `nil` when there is none.
    public static let journalctl: String? = ["/usr/bin/journalctl", "/bin/journalctl"].first { access($0, X_OK) == 0 }

    /// Why a journald test cannot run here, or `nil` when it can.
    public static var unavailableReason: String? {
        if geteuid() != 0 { return "not root" }
        if journalctl == nil { return "no journalctl" }
        if access(socket, F_OK) != 0 && access(binary, X_OK) != 0 { return "no journald running and no \(binary)" }
        return nil
    }

    private static let lockPath = "/tmp/qwen-sync-journald-test.lock"

    private let lockFD: Int32
    /// The journald started here; ``ChildProcess`` leaves out the variables systemd sets for a
    /// service (`NOTIFY_SOCKET`, …), which a journald inheriting the test's would answer.
    private var started: ChildProcess?
    private var createdRunLog = false

    /// Takes the lock (waiting for other fixtures), then starts a journald unless one listens.
    ///
    /// - Throws: ``TestSupportError`` when the lock cannot be taken, journald cannot be spawned
    ///   or its socket does not appear within 30 s.
    public init() async throws {
        lockFD = open(Self.lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard lockFD >= 0 else { throw TestSupportError("open \(Self.lockPath): errno \(errno)") }
        while flock(lockFD, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK else { throw TestSupportError("flock \(Self.lockPath): errno \(errno)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        if access(Self.socket, F_OK) == 0 { return }
        do {
            try start()
            let deadline = WallClock.monotonicMs() + 30_000
            while access(Self.socket, F_OK) != 0, WallClock.monotonicMs() < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            guard access(Self.socket, F_OK) == 0 else { throw TestSupportError("journald's socket never appeared") }
        } catch {
            stop()
            throw error
        }
    }

    deinit {
        stop()
        close(lockFD)
    }

    /// The journal entries matching all of `matches`, oldest first, once there are at least `count`.
    ///
    /// Flushes the journal (`journalctl --sync`) and queries it, 100 ms apart, until `count`
    /// entries match or 30 s have passed (journald may be slow on a busy machine); returns what
    /// matched by then.
    ///
    /// - Parameters:
    ///   - matches: journalctl matches such as `"SYSLOG_IDENTIFIER=qwen-sync"` or `"_PID=42"`.
    ///   - count: how many entries to wait for.
    /// - Returns: each entry's fields. A binary value (journalctl's array of bytes) is decoded as
    ///   UTF-8; fields with several values or too large to show are left out.
    /// - Throws: ``TestSupportError`` without journalctl or when a query fails, `JSONParseError`
    ///   when journalctl prints something other than JSON.
    public func entries(matching matches: [String], atLeast count: Int) async throws -> [[String: String]] {
        guard let journalctl = Self.journalctl else { throw TestSupportError("no journalctl") }
        var entries: [[String: String]] = []
        let deadline = WallClock.monotonicMs() + 30_000
        for attempt in 0... {
            if attempt > 0 {
                guard WallClock.monotonicMs() < deadline else { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            _ = try await runProduct(journalctl, ["--sync"])
            let query = try await runProduct(journalctl, ["--no-pager", "--quiet", "--output=json"] + matches)
            guard query.exitCode == 0 else {
                throw TestSupportError("journalctl exited with \(query.exitCode): \(query.standardError)")
            }
            entries = try query.standardOutput.split(separator: "\n").map { try Self.fields(of: String($0)) }
            if entries.count >= count { break }
        }
        return entries
    }

    /// One line of `journalctl --output=json` as field names and text values.
    private static func fields(of line: String) throws -> [String: String] {
        guard let object = try JSON.parse(line).objectValue else { throw TestSupportError("journalctl printed \(line)") }
        var fields: [String: String] = [:]
        for (name, value) in object {
            if let text = value.stringValue {
                fields[name] = text
            } else if let bytes = value.arrayValue?.map({ $0.int64Value.flatMap(UInt8.init(exactly:)) }),
                !bytes.contains(nil)
            {
                fields[name] = String(decoding: bytes.compactMap { $0 }, as: UTF8.self)
            }
        }
        return fields
    }

    private func start() throws {
        createdRunLog = access("/run/log", F_OK) != 0
        mkdir("/run/systemd", 0o755)
        mkdir("/run/systemd/journal", 0o755)
        started = try ChildProcess(Self.binary, [])
    }

    private func stop() {
        guard let journald = started else { return }
        started = nil
        journald.terminate()
        _ = system("rm -rf /run/systemd/journal /run/log/journal")
        if createdRunLog { rmdir("/run/log") }
    }
}
