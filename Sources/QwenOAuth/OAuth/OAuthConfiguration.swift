import QwenSyncCore

/// Where and how to reach the Qwen OAuth server.
///
/// Defaults follow the real server (`https://chat.qwen.ai`, qwen-code's public client id).
/// Tests and the stand-in server point ``baseURL`` at `http://127.0.0.1:<port>`.
public struct OAuthConfiguration: Sendable, Equatable {
    /// `https://chat.qwen.ai`.
    public static let defaultBaseURL = "https://chat.qwen.ai"
    /// The public client id qwen-code uses.
    public static let defaultClientID = "f0304373b74a44d2b584a3fb70ca9e56"
    /// `openid profile email model.completion`.
    public static let defaultScope = "openid profile email model.completion"

    /// The server's origin, without a trailing path (a trailing `/` is ignored). Values from the
    /// command line or the environment have passed `OAuthBaseURL`'s rule (a scheme; `https`
    /// unless the host is loopback) when `Settings` resolved them.
    public var baseURL: String
    /// The `client_id` sent with every request.
    public var clientID: String
    /// The `scope` requested with the device code.
    public var scope: String
    /// The `User-Agent` header, e.g. `qwen-sync/1.0.0`.
    public var userAgent: String
    /// The longest wait for a connection.
    public var connectTimeout: Duration
    /// The longest one request may take; keep it under 10 s so a refresh made under
    /// `oauth_creds.lock` finishes before other clients judge that lock stale.
    public var requestTimeout: Duration
    /// Which process makes the HTTP requests (``HTTPIsolation``); the daemon uses a child.
    public var httpIsolation: HTTPIsolation
    /// Replaces the server's polling interval (tests only; `nil` uses the server's value
    /// or 2 s). `slow_down` still multiplies it by 1.5.
    public var pollIntervalOverride: Duration?

    /// Creates a configuration; every parameter has the production default.
    public init(
        baseURL: String = OAuthConfiguration.defaultBaseURL,
        clientID: String = OAuthConfiguration.defaultClientID,
        scope: String = OAuthConfiguration.defaultScope,
        userAgent: String = "qwen-sync",
        connectTimeout: Duration = .seconds(3),
        requestTimeout: Duration = .seconds(8),
        httpIsolation: HTTPIsolation = .inProcess,
        pollIntervalOverride: Duration? = nil
    ) {
        self.baseURL = baseURL
        self.clientID = clientID
        self.scope = scope
        self.userAgent = userAgent
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.httpIsolation = httpIsolation
        self.pollIntervalOverride = pollIntervalOverride
    }

    /// `<base>/api/v1/oauth2/device/code`.
    public var deviceCodeURL: String { origin + "/api/v1/oauth2/device/code" }
    /// `<base>/api/v1/oauth2/token`.
    public var tokenURL: String { origin + "/api/v1/oauth2/token" }

    /// The token endpoint and client id a refresh is sent under: what a refusal is recorded
    /// against in the lineage ledger.
    public var refreshConfiguration: RefreshConfiguration { RefreshConfiguration(tokenURL: tokenURL, clientID: clientID) }

    private var origin: String {
        var base = Substring(baseURL)
        while base.hasSuffix("/") { base = base.dropLast() }
        return String(base)
    }
}
