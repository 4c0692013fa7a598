import CQwenLinux
import Glibc

/// Runs one child process in its own process group with a timeout, feeding it standard input
/// and collecting capped standard output and standard error.
///
/// Used for the `qwen` CLI (`exec`), for `doctor`'s probes and for the daemon's HTTP
/// exchanges. This is a small ``ProcessSpawn`` + `poll` loop rather than swift-subprocess.
/// Subprocess spawns well, but what these runs need around the spawn is one event loop: write
/// the input while reading both outputs (a child may answer before reading all input, or
/// never read it), watch standard error for a stop marker (the CLI's device-login box), stop
/// at an output cap, and end the whole group at a deadline. With Subprocess each of those becomes a separate task racing the
/// others, a child that exits without reading its input surfaces as a thrown write error, and
/// a grandchild holding a pipe open keeps the collecting `run` waiting. One thread polling
/// three descriptors does all of it in plain sight, with no threads or executors.
///
/// The child gets its own process group (`POSIX_SPAWN_SETPGROUP`), default signal handling
/// (`SIGPIPE` is ignored in qwen-sync), and starts in the given working directory. When the
/// run is interrupted, the group gets `SIGTERM`, then `SIGKILL` after ``terminationGrace``;
/// after a normal exit any process left in the group gets `SIGKILL`, so nothing keeps running.
public struct ChildProcessRunner: Sendable {
    /// The executable's absolute path.
    public var executable: String
    /// The arguments after the executable.
    public var arguments: [String]
    /// The complete environment, as `NAME=value` strings.
    public var environment: [String]
    /// The working directory (`nil`: this process's).
    public var workingDirectory: String?
    /// How long the child may run.
    public var timeout: Duration
    /// The most standard output kept; more interrupts the run.
    public var outputLimit: Int
    /// The most standard error kept; more is read and discarded.
    public var errorLimit: Int
    /// Text on standard error that interrupts the run (`nil`: none).
    public var stopMarker: String?
    /// How long between `SIGTERM` and `SIGKILL`.
    public var terminationGrace: Duration

    /// Creates a runner.
    public init(
        executable: String,
        arguments: [String],
        environment: [String],
        workingDirectory: String?,
        timeout: Duration,
        outputLimit: Int = 16 << 20,
        errorLimit: Int = 1 << 20,
        stopMarker: String? = nil,
        terminationGrace: Duration = .seconds(1)
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.timeout = timeout
        self.outputLimit = outputLimit
        self.errorLimit = errorLimit
        self.stopMarker = stopMarker
        self.terminationGrace = terminationGrace
    }

    /// Spawns the child, feeds it `input` and waits for it (or ends it).
    ///
    /// A non-zero exit status is a normal outcome, not an error.
    ///
    /// - Parameter input: the bytes for the child's standard input, which is closed after them.
    /// - Throws: ``ChildProcessError`` when the child cannot be started.
    public func run(input: [UInt8]) throws(ChildProcessError) -> ChildProcessOutcome {
        let stdinPipe = try Self.makePipe()
        let stdoutPipe = try Self.makePipe()
        let stderrPipe = try Self.makePipe()
        let pid: pid_t
        do {
            pid = try spawn(stdin: stdinPipe.read, stdout: stdoutPipe.write, stderr: stderrPipe.write)
        } catch {
            for fd in [stdinPipe.read, stdinPipe.write, stdoutPipe.read, stdoutPipe.write, stderrPipe.read, stderrPipe.write] {
                close(fd)
            }
            throw error
        }
        close(stdinPipe.read)
        close(stdoutPipe.write)
        close(stderrPipe.write)
        var session = ChildProcessSession(
            pid: pid,
            input: input,
            stdin: stdinPipe.write,
            stdout: stdoutPipe.read,
            stderr: stderrPipe.read,
            runner: self
        )
        return session.run()
    }

    /// Starts the child in a new process group with default signal handling.
    private func spawn(stdin: Int32, stdout: Int32, stderr: Int32) throws(ChildProcessError) -> pid_t {
        try ProcessSpawn(
            executable: executable,
            arguments: arguments,
            environment: environment,
            workingDirectory: workingDirectory,
            standardInput: .descriptor(stdin),
            standardOutput: .descriptor(stdout),
            standardError: .descriptor(stderr),
            newProcessGroup: true,
            resetsSignals: true
        ).start()
    }

    /// A pipe whose descriptors are closed on exec.
    private static func makePipe() throws(ChildProcessError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard CQwenLinux_pipeCloseOnExec(&fds, 0) == 0 else {
            throw .unavailable("cannot create a pipe: errno \(errno)")
        }
        return (fds[0], fds[1])
    }
}
