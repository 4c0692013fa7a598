import QwenOAuth
import QwenSyncCore

/// Everything the daemon needs to start.
public struct DaemonConfiguration: Sendable {
    /// File locations and account settings.
    public var settings: Settings
    /// The OAuth server.
    public var oauth: OAuthConfiguration
    /// How long before expiry to refresh (default ``RefreshSchedule/defaultLeadMs``, 40 min).
    public var refreshLeadMs: Int64

    /// A configuration; `refreshLeadMs` defaults to ``RefreshSchedule/defaultLeadMs``.
    public init(settings: Settings, oauth: OAuthConfiguration, refreshLeadMs: Int64 = RefreshSchedule.defaultLeadMs) {
        self.settings = settings
        self.oauth = oauth
        self.refreshLeadMs = refreshLeadMs
    }
}
