import Glibc

/// Where everything is and how qwen-sync behaves, resolved from flags and the environment
/// exactly as `docs/CLI.md` specifies.
public struct Settings: Sendable {
    /// The qwen directory (`--qwen-dir`, `$QWEN_HOME`, else `$HOME/.qwen`).
    public var qwenDirectory: String
    /// Whether ``qwenDirectory`` is the default `$HOME/.qwen` (however it was given). The daemon
    /// creates only the default one; another directory that does not exist is a mistake.
    public var qwenDirectoryIsDefault: Bool
    /// `oauth_creds.json` in the qwen directory.
    public var credentialsPath: String { qwenDirectory + "/oauth_creds.json" }
    /// `oauth_creds.lock` in the qwen directory.
    public var credentialsLockPath: String { qwenDirectory + "/oauth_creds.lock" }
    /// The accounts store (`$OPENCODE_QWEN_ACCOUNTS_PATH` when inside the qwen dir).
    public var accountsPath: String
    /// The accounts store's lock: `oauth_accounts.lock`, or `<store>.lock` when overridden.
    public var accountsLockPath: String
    /// qwen-sync's own per-account data (labels, history), which no peer rewrites.
    public var sidecarPath: String { qwenDirectory + "/qwen-sync-accounts.json" }
    /// Refresh tokens kept so that none that may still work is lost (`qwen-sync-recovered.json`).
    public var recoveredPath: String { qwenDirectory + "/qwen-sync-recovered.json" }
    /// `qwen-sync-rotations.jsonl`: the write-ahead of rotated refresh tokens (``RotationJournal``).
    public var rotationJournalPath: String { qwenDirectory + "/" + RotationJournal.fileName }
    /// The daemon's control socket: `--socket`, `$QWEN_SYNC_SOCKET`, else one per qwen
    /// directory (see ``ControlSocketLocation``).
    public var socketPath: String
    /// The OAuth server's base URL.
    public var oauthBaseURL: String
    /// The OAuth client id.
    public var oauthClientID: String
    /// How long an account cools down after a quota error.
    public var quotaCooldown: Duration
    /// Problems with the configuration that did not stop resolution (shown as warnings).
    public var warnings: [String]

    /// qwen-code's public OAuth client id.
    public static let defaultClientID = "f0304373b74a44d2b584a3fb70ca9e56"
    /// The real Qwen OAuth server.
    public static let defaultOAuthBaseURL = "https://chat.qwen.ai"
    /// 24 hours, the accounts plugin's default cooldown.
    public static let defaultQuotaCooldown = Duration.seconds(86_400)

    /// Resolves the settings; explicit arguments win over the environment.
    ///
    /// - Throws: ``SettingsError`` when no qwen directory can be determined, or when the OAuth
    ///   base URL breaks ``OAuthBaseURL``'s rule (no scheme, or `http` to a remote host).
    public static func resolve(
        qwenDir: String? = nil,
        socket: String? = nil,
        oauthBaseURL: String? = nil,
        oauthClientID: String? = nil,
        environment: ProcessEnvironment
    ) throws(SettingsError) -> Settings {
        var warnings: [String] = []
        let directory: String
        if let qwenDir, !qwenDir.isEmpty {
            directory = PathNormalizer.absolute(qwenDir)
        } else if let home = environment["QWEN_HOME"] {
            directory = PathNormalizer.absolute(home)
        } else if let home = environment["HOME"] {
            directory = PathNormalizer.absolute(home) + "/.qwen"
        } else {
            throw SettingsError("cannot find the qwen directory: HOME is not set (use --qwen-dir or QWEN_HOME)")
        }
        let isDefault = environment["HOME"].map { PathNormalizer.absolute($0) + "/.qwen" == directory } ?? false

        var accountsPath = directory + "/oauth_accounts.json"
        var accountsLockPath = directory + "/oauth_accounts.lock"
        if let override = environment["OPENCODE_QWEN_ACCOUNTS_PATH"] {
            let candidate = PathNormalizer.absolute(override)
            if candidate.hasPrefix(directory + "/"), !candidate.dropFirst(directory.count + 1).contains("..") {
                accountsPath = candidate
                accountsLockPath = candidate + ".lock"
            } else {
                warnings.append("OPENCODE_QWEN_ACCOUNTS_PATH is outside \(directory); using \(accountsPath)")
            }
        }

        let socketPath: String
        if let socket, !socket.isEmpty {
            socketPath = PathNormalizer.absolute(socket)
        } else if let fromEnvironment = environment["QWEN_SYNC_SOCKET"] {
            socketPath = PathNormalizer.absolute(fromEnvironment)
        } else {
            socketPath = ControlSocketLocation.path(
                qwenDirectory: directory, isDefault: isDefault, runtimeDirectory: environment["XDG_RUNTIME_DIR"]
            )
        }

        var cooldown = defaultQuotaCooldown
        if let text = environment["OPENCODE_QWEN_QUOTA_COOLDOWN_MS"] {
            // At most a year: the value is added to the clock (`now + cooldown`).
            if let value = Int64(text), (1000...OutsideNumbers.maximumLifetimeSeconds * 1000).contains(value) {
                cooldown = .milliseconds(value)
            } else {
                warnings.append("OPENCODE_QWEN_QUOTA_COOLDOWN_MS=\(text) is not a number from 1000 to a year in ms; using 24 h")
            }
        }

        let baseURL: String
        if let oauthBaseURL {
            if let problem = OAuthBaseURL.problem(with: oauthBaseURL) { throw SettingsError("--oauth-base-url: \(problem)") }
            baseURL = oauthBaseURL
        } else if let fromEnvironment = environment["QWEN_SYNC_OAUTH_BASE_URL"] {
            if let problem = OAuthBaseURL.problem(with: fromEnvironment) { throw SettingsError("QWEN_SYNC_OAUTH_BASE_URL: \(problem)") }
            baseURL = fromEnvironment
        } else {
            baseURL = defaultOAuthBaseURL
        }

        return Settings(
            qwenDirectory: directory,
            qwenDirectoryIsDefault: isDefault,
            accountsPath: accountsPath,
            accountsLockPath: accountsLockPath,
            socketPath: socketPath,
            oauthBaseURL: baseURL,
            oauthClientID: oauthClientID ?? environment["QWEN_SYNC_OAUTH_CLIENT_ID"] ?? defaultClientID,
            quotaCooldown: cooldown,
            warnings: warnings
        )
    }
}

/// The configuration cannot be resolved.
public struct SettingsError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
