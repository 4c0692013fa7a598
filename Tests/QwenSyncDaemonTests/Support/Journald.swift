import Foundation
import Glibc
import QwenSyncTestSupport
import Testing

/// A journald for the daemon's journal test: the one already listening, or one started here.
///
/// The same approach as the journald fixture in QwenSystemdTests (which cannot be imported
/// from this target): start `/lib/systemd/systemd-journald` without arguments when no journald
/// listens, stop only a journald started here, and serialize with other test processes through
/// the same advisory lock file.
final class Journald {
    static let binary = "/lib/systemd/systemd-journald"
    static let socket = "/run/systemd/journal/socket"
    static let journalctl: String? = ["/usr/bin/journalctl", "/bin/journalctl"].first { access($0, X_OK) == 0 }

    /// Why the test cannot run here, or `nil` when it can.
    static var unavailableReason: String? {
        if geteuid() != 0 { return "not root" }
        if journalctl == nil { return "no journalctl" }
        if access(socket, F_OK) != 0 && access(binary, X_OK) != 0 { return "no journald running and no \(binary)" }
        return nil
    }

    private let lock: Int32
    private var started: ChildProcess?
    private var createdRunLog = false

    init() throws {
        lock = open("/tmp/qwen-sync-journald-test.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw TestSupportError("open the journald test lock: errno \(errno)") }
        flock(lock, LOCK_EX)
        if access(Self.socket, F_OK) == 0 { return }
        createdRunLog = access("/run/log", F_OK) != 0
        mkdir("/run/systemd", 0o755)
        mkdir("/run/systemd/journal", 0o755)
        started = try ChildProcess(Self.binary, [])
        for _ in 0..<100 where access(Self.socket, F_OK) != 0 { usleep(50_000) }
        guard access(Self.socket, F_OK) == 0 else { throw TestSupportError("journald's socket never appeared") }
    }

    deinit {
        if let started {
            started.signal(SIGTERM)
            var status: Int32 = 0
            waitpid(started.pid, &status, 0)
            _ = system("rm -rf /run/systemd/journal /run/log/journal")
            if createdRunLog { rmdir("/run/log") }
        }
        close(lock)
    }

    /// The entries logged by process `pid`, oldest first, once there are at least `count`.
    func entries(pid: Int32, atLeast count: Int) async throws -> [[String: Any]] {
        let journalctl = try #require(Self.journalctl)
        var entries: [[String: Any]] = []
        for _ in 0..<30 {
            _ = try run(journalctl, ["--sync"])
            let output = try run(journalctl, ["--no-pager", "-o", "json", "SYSLOG_IDENTIFIER=qwen-sync", "_PID=\(pid)"])
            entries = output.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
            }
            if entries.count >= count { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        return entries
    }

    private func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
