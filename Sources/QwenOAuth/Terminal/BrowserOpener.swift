import Glibc
import QwenProcess
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

        let spawn = ProcessSpawn(
            executable: program,
            arguments: [url],
            environment: ProcessEnvironment(environment).assignments,
            newProcessGroup: true,
            resetsSignals: false
        )
        return try? spawn.start()
    }
}
