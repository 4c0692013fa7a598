import QwenOAuth
import QwenSyncCore

extension Settings {
    /// The OAuth client configuration for these settings.
    var oauthConfiguration: OAuthConfiguration {
        OAuthConfiguration(baseURL: oauthBaseURL, clientID: oauthClientID, userAgent: "qwen-sync/\(QwenSyncVersion.current)")
    }
}
