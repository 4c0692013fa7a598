import ArgumentParser
import Glibc
import QwenSyncCore
import QwenSyncDaemon

/// `qwen-sync serve`: the OpenAI-compatible endpoint over the accounts. Hands over to the
/// `qwen-sync-serve` executable, which alone links the HTTP server and client, so neither this
/// binary nor `qwen-syncd` carries them.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve an OpenAI-compatible endpoint (chat completions with quota failover) for every local client.",
        discussion: """
            Listens on $XDG_RUNTIME_DIR/qwen-sync/serve.sock (same user only) and on \
            http://127.0.0.1:8741/v1, which requires `Authorization: Bearer <key>`; the key is in \
            <qwen dir>/qwen-sync-serve.key (0600, created on first start). `--print-env` prints \
            OPENAI_BASE_URL and OPENAI_API_KEY lines for `eval`. Exits after --idle-exit seconds \
            without a request. Started by systemd's qwen-sync-serve.socket, it serves the sockets \
            passed instead of binding its own (see contrib/README.md).
            """
    )

    /// The executable that serves.
    static let executableName = "qwen-sync-serve"

    @OptionGroup var global: GlobalOptions
    @Option(help: "The TCP address to listen on (default 127.0.0.1; any other still requires the key).") var host: String?
    @Option(help: "The TCP port (default 8741).") var port: Int?
    @Option(name: .customLong("idle-exit"), help: "Exit after this many seconds without a request (default 900; 0: never).") var idleExit: Int64?
    @Flag(name: .customLong("print-env"), help: "Print OPENAI_BASE_URL=… and OPENAI_API_KEY=… lines for `eval` and exit.") var printEnv = false

    func validate() throws {
        if let port, !(1...65_535).contains(port) { throw ValidationError("--port: give a port from 1 to 65535") }
        if let idleExit, idleExit < 0 { throw ValidationError("--idle-exit: give whole seconds, 0 or more") }
        if let host, host.isEmpty || host.contains(where: { $0.isWhitespace || $0 == "/" }) { throw ValidationError("--host: give an IP address or host name") }
    }

    func run() throws {
        let settings = try global.settings()
        var environment = DaemonExecutable.environment(for: settings, refreshLead: nil, extending: .current)
        if let host { environment.variables["QWEN_SYNC_SERVE_HOST"] = host }
        if let port { environment.variables["QWEN_SYNC_SERVE_PORT"] = String(port) }
        if let idleExit { environment.variables["QWEN_SYNC_SERVE_IDLE_EXIT"] = String(idleExit) }
        let searched = DaemonExecutable.searchPaths(for: Self.executableName)
        guard let path = searched.first(where: { access($0, X_OK) == 0 }) else {
            throw CommandFailure("no executable \(Self.executableName) at \(searched.joined(separator: " or ")); reinstall qwen-sync")
        }
        let reason = DaemonExecutable.execute(path, arguments: printEnv ? ["--print-env"] : [], environment: environment)
        throw CommandFailure("cannot start \(path): \(reason)")
    }
}
