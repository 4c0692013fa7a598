import ArgumentParser
import QwenSyncCore

/// The parsed command line: the port, process options and the initial ``StandInConfig``.
///
/// A flag that sets a ``StandInConfig`` option has the same meaning as its key in
/// `POST /__admin/config` (see ``configOverrides``).
struct CommandLineOptions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qwen-oauth-standin",
        abstract: "A loopback stand-in for the Qwen OAuth server.",
        discussion: """
            Device flow with PKCE and refresh with rotation, for tests and for trying \
            `qwen-sync login`. Binds 127.0.0.1, then prints one \
            line `LISTENING http://127.0.0.1:<port>` on stdout. SIGTERM or SIGINT stops it.

            Endpoints: POST /api/v1/oauth2/device/code, POST /api/v1/oauth2/token, \
            GET|POST /__admin/config, POST /__admin/seed, GET /__admin/stats.
            """
    )

    @Option(help: "Port to bind; 0 picks a free one.")
    var port: UInt16 = 0

    @Option(name: .customLong("client-id"), help: "The accepted client_id (default qwen-code's).")
    var clientID: String?

    @Option(help: "Scope when the device request sends none.")
    var scope: String?

    @Option(help: "Polls answered authorization_pending before success (default 2).")
    var pendingPolls: Int64?

    @Option(help: "Poll interval in seconds sent with device codes (default 2).")
    var interval: Int64?

    @Flag(help: "Do not answer slow_down to polls faster than 3/4 of the interval.")
    var noEnforceInterval = false

    @Option(help: "Device code lifetime in seconds (default 600).")
    var deviceExpiresIn: Int64?

    @Option(help: "Access token lifetime in seconds (default 3600).")
    var expiresIn: Int64?

    @Option(name: .customLong("resource-url"), help: "resource_url in token responses; \"\" leaves it out (default portal.qwen.ai).")
    var resourceURL: String?

    @Flag(help: "Refresh keeps the old refresh token and omits refresh_token.")
    var noRotate = false

    @Flag(help: "Access tokens carry no identity claims (not JWTs).")
    var opaqueTokens = false

    @Option(help: "The account a device login signs in as (default user-1).")
    var loginSub: String?

    @Option(help: "Its e-mail address (default user-1@example.com).")
    var loginEmail: String?

    @Option(help: "Answer the next n polls with 429 slow_down.")
    var slowDown: Int64?

    @Flag(help: "Answer polls with access_denied.")
    var deny = false

    @Flag(help: "Answer polls with expired_token.")
    var expire = false

    @Option(
        help: """
            Also write the base URL (no newline) to this file once listening, replacing it \
            atomically: a script can wait for the file instead of reading stdout.
            """)
    var urlFile: String?

    @Flag(name: .customLong("exit-on-stdin-eof"), help: "Exit when standard input closes (for test harnesses).")
    var exitOnStdinEOF = false

    @Flag(help: "Log one line per request to stderr (never a secret).")
    var verbose = false

    @Flag(name: .customLong("listen-any"), help: "Listen on every address, not only 127.0.0.1 (the URL printed stays 127.0.0.1's).")
    var listenAny = false

    /// The `POST /__admin/config` keys the flags set.
    var configOverrides: JSONObject {
        var overrides = JSONObject()
        let strings: [(String, String?)] = [
            ("client_id", clientID), ("scope", scope), ("resource_url", resourceURL),
            ("login_sub", loginSub), ("login_email", loginEmail),
        ]
        for case (let key, let value?) in strings { overrides[key] = .string(value) }
        let integers: [(String, Int64?)] = [
            ("pending_polls", pendingPolls), ("interval", interval), ("device_expires_in", deviceExpiresIn),
            ("expires_in", expiresIn), ("slow_down", slowDown),
        ]
        for case (let key, let value?) in integers { overrides[key] = .int(value) }
        if noEnforceInterval { overrides["enforce_interval"] = false }
        if noRotate { overrides["rotate_refresh_tokens"] = false }
        if opaqueTokens { overrides["opaque_access_tokens"] = true }
        if deny { overrides["deny"] = true }
        if expire { overrides["expire"] = true }
        return overrides
    }

    /// The initial options: the defaults with the flags applied.
    func config() throws(StandInError) -> StandInConfig {
        var config = StandInConfig()
        try config.apply(configOverrides)
        return config
    }

    mutating func validate() throws {
        do { _ = try config() } catch { throw ValidationError(error.description) }
    }
}
