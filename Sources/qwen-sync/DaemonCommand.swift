import ArgumentParser
import Logging
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
    var refreshLead: Int64 = RefreshSchedule.defaultLeadMs / 1000

    func validate() throws {
        guard refreshLead > 30 else { throw ValidationError("--refresh-lead must be more than 30 seconds (clients refresh themselves inside the last 30 s)") }
    }

    func run() throws {
        let settings = try global.settings()
        _ = LoggingBootstrap.bootstrap()
        let logger = Logger(label: "qwen-sync")
        let daemon = Daemon(
            configuration: DaemonConfiguration(settings: settings, oauth: settings.oauthConfiguration, refreshLeadMs: refreshLead * 1000),
            logger: logger
        )
        do { try daemon.run() } catch { throw CommandFailure(error.description) }
    }
}
