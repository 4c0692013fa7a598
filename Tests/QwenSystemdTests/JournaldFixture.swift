import Glibc

/// A journald for the integration test: the one already listening, or one started by hand.
///
/// Starting one follows the research note: `mkdir -p /run/systemd/journal`, launch
/// `systemd-journald` (no arguments: argv[1] would be a namespace), wait for its socket. Only a
/// journald this fixture started is stopped, and only then are `/run/systemd/journal` and
/// `/run/log/journal` removed (and `/run/log` when it did not exist before). An advisory lock
/// serializes test processes sharing the machine.
final class JournaldFixture {
    static let binary = "/lib/systemd/systemd-journald"
    static let socket = "/run/systemd/journal/socket"
    static let journalctl: String? = ["/usr/bin/journalctl", "/bin/journalctl"].first { access($0, X_OK) == 0 }

    /// Why the journald integration test cannot run here, or `nil` when it can.
    static var unavailableReason: String? {
        if geteuid() != 0 { return "not root" }
        if journalctl == nil { return "no journalctl" }
        if access(socket, F_OK) != 0 && access(binary, X_OK) != 0 { return "no journald running and no \(binary)" }
        return nil
    }

    private let lockFD: Int32
    private var startedPID: pid_t?
    private var createdRunLog = false

    init() throws {
        lockFD = open("/tmp/qwen-sync-journald-test.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard lockFD >= 0 else { throw POSIXFailure("open lock") }
        flock(lockFD, LOCK_EX)
        if access(Self.socket, F_OK) == 0 { return }
        do {
            try start()
        } catch {
            stop()
            throw error
        }
    }

    deinit {
        stop()
        close(lockFD)
    }

    private func start() throws {
        createdRunLog = access("/run/log", F_OK) != 0
        mkdir("/run/systemd", 0o755)
        mkdir("/run/systemd/journal", 0o755)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(Self.binary), nil]
        defer { argv.forEach { free($0) } }
        let result = posix_spawn(&pid, Self.binary, &actions, nil, argv, environ)
        guard result == 0 else { errno = result; throw POSIXFailure("posix_spawn journald") }
        startedPID = pid
        for _ in 0..<100 where access(Self.socket, F_OK) != 0 {
            usleep(50_000)
        }
        guard access(Self.socket, F_OK) == 0 else { throw POSIXFailure("journald socket never appeared") }
    }

    private func stop() {
        guard let pid = startedPID else { return }
        startedPID = nil
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        _ = system("rm -rf /run/systemd/journal /run/log/journal")
        if createdRunLog { rmdir("/run/log") }
    }
}
