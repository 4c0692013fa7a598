import CQwenLinux
import Glibc

/// How to start one child process: the one `posix_spawn` in qwen-sync.
///
/// ``ChildProcessRunner`` (the daemon's HTTP exchanges, `exec`, `doctor`'s probes), the
/// browser opener and the tests' child processes all start their children with ``start()``;
/// what they do around the spawn (waiting, pipes, deadlines) is theirs.
public struct ProcessSpawn: Sendable {
    /// Where one of the child's standard descriptors comes from.
    public enum Placement: Sendable, Equatable {
        /// `/dev/null` (read-only for standard input, write-only otherwise).
        case null
        /// This process's descriptor, duplicated onto the child's (close-on-exec ones included).
        case descriptor(Int32)
        /// A file opened for appending, created with mode 0600 if missing.
        case appending(String)
    }

    /// The executable's absolute path (no `PATH` search).
    public var executable: String
    /// The arguments after the executable (`argv[0]` is ``executable``).
    public var arguments: [String]
    /// The complete environment, as `NAME=value` strings.
    public var environment: [String]
    /// The directory the child starts in (`nil`: this process's).
    public var workingDirectory: String?
    /// The child's standard input.
    public var standardInput: Placement
    /// The child's standard output.
    public var standardOutput: Placement
    /// The child's standard error.
    public var standardError: Placement
    /// Whether the child leads a new process group (so that the group can be ended whole).
    public var newProcessGroup: Bool
    /// Whether the child starts with no signal blocked and `SIGPIPE`, `SIGTERM`, `SIGINT`,
    /// `SIGHUP` and `SIGQUIT` at their default action (qwen-sync ignores `SIGPIPE`).
    public var resetsSignals: Bool
    /// Descriptors the child gets as 3, 4, … in this order, whatever their numbers here (as
    /// systemd passes listening sockets).
    public var passedDescriptors: [Int32]

    /// A spawn of `executable`; every standard descriptor on `/dev/null` unless given.
    public init(
        executable: String,
        arguments: [String],
        environment: [String],
        workingDirectory: String? = nil,
        standardInput: Placement = .null,
        standardOutput: Placement = .null,
        standardError: Placement = .null,
        newProcessGroup: Bool,
        resetsSignals: Bool,
        passedDescriptors: [Int32] = []
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.standardInput = standardInput
        self.standardOutput = standardOutput
        self.standardError = standardError
        self.newProcessGroup = newProcessGroup
        self.resetsSignals = resetsSignals
        self.passedDescriptors = passedDescriptors
    }

    /// Starts the child and returns its process id; the caller reaps it.
    ///
    /// - Throws: ``ChildProcessError/notStarted(_:)`` when `posix_spawn` refuses (missing or
    ///   not executable, a file placement that cannot be opened), or
    ///   ``ChildProcessError/unavailable(_:)`` when the C library cannot set the working
    ///   directory.
    public func start() throws(ChildProcessError) -> pid_t {
        // Copies of the passed descriptors above any number they go to, so that no `dup2`
        // overwrites one still to be passed; `dup2` clears close-on-exec on the target.
        let passed = passedDescriptors.map { fcntl($0, F_DUPFD_CLOEXEC, 100) }
        defer { passed.filter { $0 >= 0 }.forEach { close($0) } }
        guard !passed.contains(where: { $0 < 0 }) else {
            throw .notStarted("cannot pass a descriptor to \(executable): \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (placement, target) in [(standardInput, STDIN_FILENO), (standardOutput, STDOUT_FILENO), (standardError, STDERR_FILENO)] {
            switch placement {
            case .null:
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == STDIN_FILENO ? O_RDONLY : O_WRONLY, 0)
            case .descriptor(let descriptor):
                posix_spawn_file_actions_adddup2(&actions, descriptor, target)
            case .appending(let path):
                posix_spawn_file_actions_addopen(&actions, target, path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
            }
        }
        // Last, so that no standard placement lands on a passed descriptor.
        for (offset, descriptor) in passed.enumerated() { posix_spawn_file_actions_adddup2(&actions, descriptor, 3 + Int32(offset)) }
        if let workingDirectory, CQwenLinux_addChdir(&actions, workingDirectory) != 0 {
            throw .unavailable("this C library cannot set a child's working directory (glibc 2.29 or later is needed)")
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var flags: Int32 = 0
        if newProcessGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        if resetsSignals {
            var noSignals = sigset_t()
            sigemptyset(&noSignals)
            var defaults = sigset_t()
            sigemptyset(&defaults)
            for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT] { sigaddset(&defaults, signal) }
            posix_spawnattr_setsigmask(&attributes, &noSignals)
            posix_spawnattr_setsigdefault(&attributes, &defaults)
            flags |= POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw .notStarted("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        return pid
    }
}
