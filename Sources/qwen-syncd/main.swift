// qwen-syncd: the daemon's executable, started by `qwen-sync daemon` (see DaemonExecutable).
// It has no command-line parser: its settings come from the environment `qwen-sync daemon`
// sets, and its only argument is the internal one that serves an HTTP exchange.

import Glibc
import Logging
import QwenOAuth
import QwenSyncCore
import QwenSyncDaemon
import QwenSystemd

// Before anything holds a token: no core file, no ptrace by other processes (README, "Hardening").
ProcessHardening.forbidCoreDumps()
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments == [HTTPExchange.argument] { exit(HTTPExchange.serve()) }
guard arguments.isEmpty else {
    DescriptorOutput.writeAll("qwen-syncd takes no arguments: start the daemon with `qwen-sync daemon` (see `qwen-sync daemon --help`)\n", to: STDERR_FILENO)
    exit(2)
}
do {
    let configuration = try DaemonExecutable.configuration(environment: .current)
    LoggingBootstrap.bootstrap()
    let logger = Logger(label: "qwen-sync")
    // A refusal is evidence, not a verdict: accounts refused under another token endpoint or
    // client id are healthy again under this configuration, and their tokens are presented.
    let refresher = AccountRefresher(store: CredentialStore(settings: configuration.settings), client: OAuthClient(configuration: configuration.oauth))
    // Only in a qwen directory that exists: the daemon itself decides about a missing one.
    if access(configuration.settings.qwenDirectory, F_OK) == 0, let released = try? refresher.reconsiderRefusalsUnderOtherConfigurations(),
        !released.isEmpty
    {
        logger.notice("refused under another endpoint or client id, presented again: \(released.joined(separator: ", "))", metadata: ["event": "refresh"])
    }
    try Daemon(configuration: configuration, logger: logger).run()
} catch {
    DescriptorOutput.writeAll("qwen-sync: \(error.description)\n", to: STDERR_FILENO)
    exit(1)
}
