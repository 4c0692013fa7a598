import ArgumentParser
import QwenSyncCore

/// Options every command accepts: where the qwen dir, the control socket and the OAuth server are.
///
/// They may also come before the command (see ``CommandLineArguments``).
struct GlobalOptions: ParsableArguments {
    /// The long names of these options (each takes a value).
    static let valueOptionNames = ["--qwen-dir", "--socket", "--oauth-base-url", "--oauth-client-id"]

    @Option(name: .customLong("qwen-dir"), help: "The qwen directory (default: $QWEN_HOME, else $HOME/.qwen).", completion: .directory)
    var qwenDir: String?

    @Option(
        help:
            "The daemon's control socket (default: $QWEN_SYNC_SOCKET, else $XDG_RUNTIME_DIR/qwen-sync/control.sock for ~/.qwen and control-<hash>.sock for another qwen dir).",
        completion: .file())
    var socket: String?

    @Option(
        name: .customLong("oauth-base-url"),
        help: "The OAuth server, https (http only for loopback) (default: $QWEN_SYNC_OAUTH_BASE_URL, else https://chat.qwen.ai)."
    )
    var oauthBaseURL: String?

    @Option(name: .customLong("oauth-client-id"), help: "The OAuth client id (default: $QWEN_SYNC_OAUTH_CLIENT_ID, else qwen-code's).")
    var oauthClientID: String?

    func validate() throws {
        if let oauthBaseURL, let problem = OAuthBaseURL.problem(with: oauthBaseURL) {
            throw ValidationError("--oauth-base-url: \(problem)")
        }
    }

    /// The resolved locations and settings, from these options and the environment.
    ///
    /// Every command that touches the files starts here, so this also makes long lock waits
    /// visible on a terminal (``LockWaitNotice``).
    func settings() throws -> Settings {
        LockWaitNotice.installIfTerminal()
        return try Settings.resolve(
            qwenDir: qwenDir,
            socket: socket,
            oauthBaseURL: oauthBaseURL,
            oauthClientID: oauthClientID,
            environment: .current
        )
    }
}
