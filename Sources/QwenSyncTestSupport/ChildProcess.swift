import CQwenLinux
import Glibc
import QwenProcess
import QwenSyncCore
import Synchronization

/// A child process started with `ProcessSpawn`, its output sent to files or pipes.
///
/// The environment is the test's, minus anything systemd or a developer's shell could have set
/// that changes qwen-sync's behaviour, plus the given overrides (`nil` removes a variable).
/// Only the child's own pid is ever waited for. A child still running when the object goes away
/// is killed with SIGKILL and reaped.
public final class ChildProcess: Sendable {
    /// The child's process id.
    public let pid: pid_t
    /// The write end of the child's standard input when it was given a pipe.
    public let stdinWriter: Int32?
    /// The read end of the child's standard output when it was given a pipe.
    public let stdoutReader: Int32?
    /// The file standard output is appended to, when it was given one.
    public let stdoutPath: String?
    /// The file standard error is appended to, when it was given one.
    public let stderrPath: String?
    private let status = Mutex<Int32?>(nil)

    private static let scrubbed = [
        "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM", "LISTEN_FDS", "LISTEN_PID",
        "LISTEN_FDNAMES", "QWEN_HOME", "QWEN_SYNC_SOCKET", "QWEN_SYNC_OAUTH_BASE_URL", "QWEN_SYNC_LOG",
        "QWEN_SYNC_LOG_LEVEL", "OPENCODE_QWEN_ACCOUNTS_PATH", "OPENCODE_QWEN_QUOTA_COOLDOWN_MS",
    ]

    /// Starts `path` with `arguments`.
    ///
    /// - Parameters:
    ///   - path: the executable's absolute path (see `BuiltProducts.path(of:)`).
    ///   - arguments: the arguments after the executable.
    ///   - environment: variables to set (`nil` removes one) on top of the scrubbed environment.
    ///   - stdout: a file to append standard output to, `nil` for a pipe (see ``stdoutReader``).
    ///   - stderr: a file to append standard error to (`/dev/null` when `nil`).
    ///   - stdinPipe: give the child a pipe as standard input (see ``stdinWriter``), kept open
    ///     until the object goes away; otherwise standard input is `/dev/null`.
    ///   - passing: descriptors the child gets as 3, 4, … in this order (as systemd passes
    ///     listening sockets), whatever their numbers here.
    /// - Throws: ``TestSupportError`` when a pipe cannot be made or the spawn fails.
    public init(
        _ path: String, _ arguments: [String], environment: [String: String?] = [:],
        stdout: String? = "/dev/null", stderr: String? = nil, stdinPipe: Bool = false, passing: [Int32] = []
    ) throws {
        var variables = ProcessEnvironment.current.variables
        for name in Self.scrubbed { variables[name] = nil }
        for (name, value) in environment { variables[name] = value }

        var input: [Int32] = [-1, -1]
        var output: [Int32] = [-1, -1]
        if stdinPipe {
            guard Self.makePipe(&input) else { throw TestSupportError("pipe: errno \(errno)") }
        }
        if stdout == nil {
            guard Self.makePipe(&output) else {
                if stdinPipe { input.forEach { close($0) } }
                throw TestSupportError("pipe: errno \(errno)")
            }
        }
        let spawn = ProcessSpawn(
            executable: path,
            arguments: arguments,
            environment: ProcessEnvironment(variables).assignments,
            standardInput: stdinPipe ? .descriptor(input[0]) : .null,
            standardOutput: stdout.map { .appending($0) } ?? .descriptor(output[1]),
            standardError: .appending(stderr ?? "/dev/null"),
            newProcessGroup: false,
            resetsSignals: false,
            passedDescriptors: passing
        )
        defer {
            // The child has its own copies now (or never started).
            if stdinPipe { close(input[0]) }
            if stdout == nil { close(output[1]) }
        }
        do {
            pid = try spawn.start()
        } catch {
            if stdinPipe { close(input[1]) }
            if stdout == nil { close(output[0]) }
            throw TestSupportError(error.description)
        }
        stdinWriter = stdinPipe ? input[1] : nil
        stdoutReader = stdout == nil ? output[0] : nil
        stdoutPath = stdout
        stderrPath = stderr
    }

    /// Starts the built product `product` (see `BuiltProducts.path(of:)`) with `arguments`, its
    /// standard output going to `<logPrefix>.out` and standard error to `<logPrefix>.err`.
    public convenience init(product: String, _ arguments: [String], logPrefix: String) throws {
        try self.init(BuiltProducts.path(of: product), arguments, stdout: logPrefix + ".out", stderr: logPrefix + ".err")
    }

    deinit {
        kill()
        if let stdinWriter { close(stdinWriter) }
        if let stdoutReader { close(stdoutReader) }
    }

    /// Sends `signal` to the child.
    public func signal(_ signal: Int32) { Glibc.kill(pid, signal) }

    /// Whether the child has not exited yet (reaps it when it has).
    public var isRunning: Bool { reap(blocking: false) == nil }

    /// The exit code (128 + the signal number when a signal ended it) once the child has
    /// exited (reaping it), `nil` while it runs.
    public var exitCode: Int32? { reap(blocking: false) }

    /// Everything the child printed so far on standard output, when it goes to a file.
    public var output: String { Self.text(stdoutPath) }

    /// Everything the child printed so far on standard error, when it goes to a file.
    public var errorOutput: String { Self.text(stderrPath) }

    /// Sends SIGKILL when the child is still running, and reaps it.
    public func kill() {
        guard isRunning else { return }
        signal(SIGKILL)
        _ = reap(blocking: true)
    }

    /// Waits until standard output (a file) contains `text`.
    ///
    /// - Throws: ``TestSupportError`` when the child exits first or `timeoutMs` passes.
    public func waitForOutput(_ text: String, timeoutMs: Int64 = 30_000) async throws {
        let deadline = WallClock.monotonicMs() + timeoutMs
        while !output.contains(text) {
            if let code = exitCode { throw TestSupportError("exited (\(code)) before printing \(text): \(errorOutput)") }
            guard WallClock.monotonicMs() < deadline else { throw TestSupportError("no \(text) within \(timeoutMs) ms") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Waits up to `timeoutMs` for the child to exit, without blocking a thread.
    ///
    /// - Returns: the exit code (128 + the signal number when a signal ended it), or `nil` when
    ///   the child is still running after `timeoutMs`.
    public func waitForExit(timeoutMs: Int64 = 60_000) async -> Int32? {
        let deadline = WallClock.monotonicMs() + timeoutMs
        while true {
            if let code = reap(blocking: false) { return code }
            if WallClock.monotonicMs() > deadline { return nil }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Sends SIGTERM, then SIGKILL when the child is still running after `graceMs`.
    ///
    /// - Returns: the exit code (128 + the signal number when a signal ended it), or `nil` when
    ///   not even SIGKILL ended it within ten seconds.
    @discardableResult
    public func stop(graceMs: Int64 = 5_000) async -> Int32? {
        if let code = reap(blocking: false) { return code }
        signal(SIGTERM)
        if let code = await waitForExit(timeoutMs: graceMs) { return code }
        signal(SIGKILL)
        return await waitForExit()
    }

    /// ``stop(graceMs:)`` for synchronous contexts such as `defer` and `deinit`: blocks the
    /// calling thread until the child has exited.
    ///
    /// - Returns: the exit code (128 + the signal number when a signal ended it), or -1 when
    ///   `waitpid` fails.
    @discardableResult
    public func terminate(graceMs: Int64 = 5_000) -> Int32 {
        if let code = reap(blocking: false) { return code }
        signal(SIGTERM)
        let deadline = WallClock.monotonicMs() + graceMs
        while WallClock.monotonicMs() <= deadline {
            if let code = reap(blocking: false) { return code }
            usleep(10_000)
        }
        signal(SIGKILL)
        return reap(blocking: true) ?? -1
    }

    /// Reads one line from standard output (a pipe), without its newline.
    ///
    /// Waits without holding a thread of the test runner's small pool (it looks every few
    /// milliseconds), so that a slow child does not stall other tests running in parallel.
    /// - Parameter timeoutMs: how long to wait for the whole line.
    /// - Returns: the line, or `nil` without a pipe, on a timeout, or at end of file.
    public func readLine(timeoutMs: Int64) async -> String? {
        guard let stdoutReader else { return nil }
        let deadline = WallClock.monotonicMs() + timeoutMs
        var line: [UInt8] = []
        var descriptor = pollfd(fd: stdoutReader, events: Int16(POLLIN), revents: 0)
        while true {
            guard poll(&descriptor, 1, 0) == 1 else {
                guard WallClock.monotonicMs() < deadline else { return nil }
                try? await Task.sleep(for: .milliseconds(5))
                continue
            }
            var byte: UInt8 = 0
            guard (try? SystemCall.retrying { read(stdoutReader, &byte, 1) }) == 1 else { return nil }
            if byte == 0x0A { return String(decoding: line, as: UTF8.self) }
            line.append(byte)
        }
    }

    private static func text(_ path: String?) -> String {
        guard let path, let contents = try? SecureFile.read(path) else { return "" }
        return String(decoding: contents.bytes, as: UTF8.self)
    }

    /// A pipe with both ends close-on-exec.
    private static func makePipe(_ ends: inout [Int32]) -> Bool {
        CQwenLinux_pipeCloseOnExec(&ends, 0) == 0
    }

    private func reap(blocking: Bool) -> Int32? {
        status.withLock { recorded in
            if let recorded { return recorded }
            var raw: Int32 = 0
            let result = waitpid(pid, &raw, blocking ? 0 : WNOHANG)
            guard result == pid else { return nil }
            let code = raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
            recorded = code
            return code
        }
    }
}
