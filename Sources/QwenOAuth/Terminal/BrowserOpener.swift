import Glibc
import QwenSyncCore

/// Opens a URL in the user's browser with `xdg-open`, when there is a display to open it on.
///
/// Nothing is opened without `DISPLAY` or `WAYLAND_DISPLAY` (a plain SSH session, a
/// service), and only `http` and `https` URLs are passed on. `xdg-open` is spawned
/// directly (no shell) in its own process group with standard input, output and error on
/// `/dev/null`, and is not waited for.
public struct BrowserOpener: Sendable {
    /// The environment consulted for the display and `PATH`, and given to `xdg-open`.
    public let environment: [String: String]

    /// Creates an opener for `environment` (default: this process's environment).
    public init(environment: [String: String] = ProcessEnvironment.current.variables) {
        self.environment = environment
    }

    /// Whether a graphical session is reachable (`DISPLAY` or `WAYLAND_DISPLAY` is set).
    public var hasDisplay: Bool {
        ["DISPLAY", "WAYLAND_DISPLAY"].contains { environment[$0].map { !$0.isEmpty } ?? false }
    }

    /// Starts `xdg-open url` when ``hasDisplay`` is true and `xdg-open` is on `PATH`.
    ///
    /// - Parameter url: an `http` or `https` URL.
    /// - Returns: the child's process id (reap it with `waitpid` if you outlive it), or
    ///   `nil` when nothing was started.
    @discardableResult
    public func open(_ url: String) -> pid_t? {
        guard hasDisplay, url.hasPrefix("https://") || url.hasPrefix("http://"),
            let program = ExecutableSearch.find("xdg-open", inPath: environment["PATH"])
        else { return nil }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor: Int32 in 0...2 {
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)

        let arguments = [program, url].map { (text: String) in strdup(text) }
        let variables = environment.map { (key: String, value: String) in strdup("\(key)=\(value)") }
        defer { (arguments + variables).forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, program, &actions, &attributes, arguments + [nil], variables + [nil])
        return status == 0 ? pid : nil
    }
}
