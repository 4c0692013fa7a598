import ArgumentParser
import Glibc
import Logging
import QwenOAuth
import QwenSyncCore
import QwenSyncDaemon
import QwenSystemd

/// `qwen-sync daemon`: the long-running service (foreground; systemd starts it).
struct DaemonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Run the service: watch, sync and refresh until stopped (foreground).",
        discussion: "Refuses to start when another daemon serves the same qwen directory."
    )

    @OptionGroup var global: GlobalOptions

    @Option(
        name: .customLong("refresh-lead"),
        help: "Refresh this many seconds before a token expires (at least 31; the default, 2400, is ahead of every known client's own refresh window)."
    )
    var refreshLead: Int64 = DaemonConfiguration.defaultRefreshLead.inMilliseconds / 1000

    func validate() throws {
        if let problem = DaemonExecutable.refreshLeadProblem(.seconds(refreshLead)) { throw ValidationError("--refresh-lead \(problem)") }
    }

    /// Hands over to `qwen-syncd` (``DaemonExecutable``); runs the daemon in this process only
    /// when that executable is missing or cannot be started.
    func run() throws {
        let settings = try global.settings()
        let searched = DaemonExecutable.searchPaths()
        var fallbackReason = "no executable \(DaemonExecutable.name) at \(searched.joined(separator: " or "))"
        if let path = searched.first(where: { access($0, X_OK) == 0 }) {
            let environment = DaemonExecutable.environment(for: settings, refreshLead: .seconds(refreshLead), extending: .current)
            fallbackReason = "cannot start \(path): \(DaemonExecutable.execute(path, environment: environment))"
        }
        _ = LoggingBootstrap.bootstrap()
        let logger = Logger(label: "qwen-sync")
        logger.warning("\(fallbackReason); running the daemon in this process, which keeps about 3 MB more in memory", metadata: ["event": "start"])
        let daemon = Daemon(
            configuration: DaemonConfiguration(settings: settings, oauth: OAuthConfiguration(settings: settings), refreshLead: .seconds(refreshLead)),
            logger: logger
        )
        do { try daemon.run() } catch { throw CommandFailure(error.description) }
    }
}
