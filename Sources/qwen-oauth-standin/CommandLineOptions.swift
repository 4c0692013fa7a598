import QwenSyncCore

/// The parsed command line: the port, process options and the initial ``StandInConfig``.
struct CommandLineOptions {
    /// The port to bind, 0 for an ephemeral one.
    var port: UInt16 = 0
    /// A file to write the base URL to once listening (replaced atomically), for scripts.
    var urlFile: String?
    /// Exit when standard input reaches end of file (a parent that dies closes it).
    var exitOnStdinEOF = false
    /// Log one line per request to stderr.
    var verbose = false
    /// Whether `--help` was given.
    var help = false
    /// The initial options.
    var config = StandInConfig()

    private enum Kind { case string, integer, setTrue, setFalse }

    /// Flags that set a ``StandInConfig`` key: (flag, JSON key, value kind).
    private static let configFlags: [(String, String, Kind)] = [
        ("--client-id", "client_id", .string),
        ("--scope", "scope", .string),
        ("--pending-polls", "pending_polls", .integer),
        ("--interval", "interval", .integer),
        ("--no-enforce-interval", "enforce_interval", .setFalse),
        ("--device-expires-in", "device_expires_in", .integer),
        ("--expires-in", "expires_in", .integer),
        ("--resource-url", "resource_url", .string),
        ("--no-rotate", "rotate_refresh_tokens", .setFalse),
        ("--opaque-tokens", "opaque_access_tokens", .setTrue),
        ("--login-sub", "login_sub", .string),
        ("--login-email", "login_email", .string),
        ("--slow-down", "slow_down", .integer),
        ("--deny", "deny", .setTrue),
        ("--expire", "expire", .setTrue),
    ]

    /// The `--help` text.
    static let usage = """
        USAGE: qwen-oauth-standin [options]

        A loopback stand-in for the Qwen OAuth server (device flow with PKCE, refresh with
        rotation) for tests and for trying `qwen-sync login`. Binds 127.0.0.1, then prints
        one line `LISTENING http://127.0.0.1:<port>` on stdout. SIGTERM or SIGINT stops it.

        Endpoints: POST /api/v1/oauth2/device/code, POST /api/v1/oauth2/token,
        GET|POST /__admin/config, POST /__admin/seed, GET /__admin/stats.

        OPTIONS:
          --port <n>               Port to bind; 0 picks a free one (default 0).
          --client-id <id>         The accepted client_id (default qwen-code's).
          --scope <s>              Scope when the device request sends none.
          --pending-polls <n>      Polls answered authorization_pending before success (default 2).
          --interval <s>           Poll interval sent with device codes (default 2).
          --no-enforce-interval    Do not answer slow_down to polls faster than 3/4 of the interval.
          --device-expires-in <s>  Device code lifetime (default 600).
          --expires-in <s>         Access token lifetime (default 3600).
          --resource-url <host>    resource_url in token responses; "" leaves it out (default portal.qwen.ai).
          --no-rotate              Refresh keeps the old refresh token and omits refresh_token.
          --opaque-tokens          Access tokens carry no identity claims (not JWTs).
          --login-sub <sub>        The account a device login signs in as (default user-1).
          --login-email <email>    Its e-mail address (default user-1@example.com).
          --slow-down <n>          Answer the next n polls with 429 slow_down.
          --deny                   Answer polls with access_denied.
          --expire                 Answer polls with expired_token.
          --url-file <path>        Also write the base URL (no newline) to this file once
                                   listening, replacing it atomically: a script can wait for
                                   the file instead of reading stdout.
          --exit-on-stdin-eof      Exit when standard input closes (for test harnesses).
          --verbose                Log one line per request to stderr (never a secret).
          -h, --help               Show this help.
        """

    /// Parses `arguments` (without the program name); flags take `--flag value` or `--flag=value`.
    /// - Throws: ``StandInError`` for an unknown flag or a bad value.
    init(arguments: [String]) throws(StandInError) {
        var overrides = JSONObject()
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            var flag = argument
            var inlineValue: String?
            if let equals = argument.firstIndex(of: "=") {
                flag = String(argument[..<equals])
                inlineValue = String(argument[argument.index(after: equals)...])
            }
            func value() throws(StandInError) -> String {
                if let inlineValue { return inlineValue }
                guard let next = remaining.popFirst() else { throw StandInError("\(flag) needs a value") }
                return next
            }
            switch flag {
            case "-h", "--help": help = true
            case "--verbose": verbose = true
            case "--exit-on-stdin-eof": exitOnStdinEOF = true
            case "--url-file": urlFile = try value()
            case "--port":
                let text = try value()
                guard let number = UInt16(text) else { throw StandInError("--port must be 0...65535") }
                port = number
            default:
                guard let (_, key, kind) = Self.configFlags.first(where: { $0.0 == flag }) else {
                    throw StandInError("unknown option \(flag) (see --help)")
                }
                switch kind {
                case .string: overrides[key] = .string(try value())
                case .integer:
                    let text = try value()
                    guard let number = Int64(text) else { throw StandInError("\(flag) must be an integer") }
                    overrides[key] = .int(number)
                case .setTrue: overrides[key] = true
                case .setFalse: overrides[key] = false
                }
            }
        }
        try config.apply(overrides)
    }
}
