import QwenSyncCore

extension OAuthConfiguration {
    /// The configuration for resolved `settings`: their server and client id, the
    /// `qwen-sync/<version>` user agent, and the production timeouts.
    ///
    /// - Parameters:
    ///   - settings: the resolved settings.
    ///   - httpIsolation: which process makes the requests (default this one).
    public init(settings: Settings, httpIsolation: HTTPIsolation = .inProcess) {
        self.init(
            baseURL: settings.oauthBaseURL,
            clientID: settings.oauthClientID,
            userAgent: "qwen-sync/\(QwenSyncVersion.current)",
            httpIsolation: httpIsolation
        )
    }
}
