import QwenOAuth
import QwenSyncCore

/// Everything the daemon needs to start.
public struct DaemonConfiguration: Sendable {
    /// File locations and account settings.
    public var settings: Settings
    /// The OAuth server.
    public var oauth: OAuthConfiguration
    /// How long before expiry to refresh (default ``defaultRefreshLead``).
    public var refreshLead: Duration

    /// The default refresh lead, 40 min (``RefreshSchedule/defaultLeadMs``).
    public static let defaultRefreshLead = Duration.milliseconds(RefreshSchedule.defaultLeadMs)

    /// A configuration; `refreshLead` defaults to ``defaultRefreshLead``.
    public init(settings: Settings, oauth: OAuthConfiguration, refreshLead: Duration = defaultRefreshLead) {
        self.settings = settings
        self.oauth = oauth
        self.refreshLead = refreshLead
    }
}
