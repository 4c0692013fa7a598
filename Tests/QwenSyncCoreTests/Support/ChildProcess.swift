import Glibc
import QwenSyncCore
import QwenSyncTestSupport

/// A built product running in the background, its stdout and stderr going to files, so a
/// test can watch it, kill it with SIGKILL at any moment and read what it printed.
///
/// Uses `posix_spawn` and `waitpid` on its own pid only, so it never reaps anyone else's child.
final class ChildProcess: @unchecked Sendable {
    let pid: pid_t
    let outputPath: String
    let errorPath: String
    private var status: Int32?

    /// Starts `product` (a built product name) with `arguments`; output goes to `<logPrefix>.out/.err`.
    init(_ product: String, _ arguments: [String], logPrefix: String) throws {
        outputPath = logPrefix + ".out"
        errorPath = logPrefix + ".err"
        let executable = BuiltProducts.path(of: product)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, nil, argv, environ)
        guard result == 0 else { throw TestSupportError("posix_spawn \(executable): error \(result)") }
        pid = child
    }

    /// Everything printed on stdout so far.
    var output: String { FileTools.text(outputPath) ?? "" }
    /// Everything printed on stderr so far.
    var errorOutput: String { FileTools.text(errorPath) ?? "" }

    /// Whether the process has not exited yet (reaps it if it has).
    var isRunning: Bool { poll() == nil }

    /// The exit code, or 128 + signal, once exited; `nil` while running.
    @discardableResult
    func poll() -> Int32? {
        if let status { return status }
        var raw: Int32 = 0
        guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
        let signal = raw & 0x7F
        status = signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
        return status
    }

    /// Waits (polling, so no thread blocks) until the process exits; returns its exit code.
    func wait(timeoutMs: Int64 = 120_000) async throws -> Int32 {
        let deadline = WallClock.monotonicMs() + timeoutMs
        while true {
            if let status = poll() { return status }
            guard WallClock.monotonicMs() < deadline else {
                kill()
                throw TestSupportError("pid \(pid) did not exit within \(timeoutMs) ms; killed")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Waits until stdout contains `text`; fails if the process exits first.
    func waitForOutput(_ text: String, timeoutMs: Int64 = 30_000) async throws {
        let deadline = WallClock.monotonicMs() + timeoutMs
        while !output.contains(text) {
            if let status = poll() { throw TestSupportError("exited (\(status)) before printing \(text): \(errorOutput)") }
            guard WallClock.monotonicMs() < deadline else { throw TestSupportError("no \(text) within \(timeoutMs) ms") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Sends SIGKILL (if still running) and reaps the process.
    func kill() {
        guard poll() == nil else { return }
        Glibc.kill(pid, SIGKILL)
        var raw: Int32 = 0
        if waitpid(pid, &raw, 0) == pid { status = 128 + (raw & 0x7F) }
    }

    deinit { kill() }
}
