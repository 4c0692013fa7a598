/// An account's health, derived as the accounts plugin derives it: there is no status field.
public enum AccountState: String, Sendable, Equatable {
    /// `exhaustedUntil <= now`.
    case healthy
    /// Cooling down after a quota error until `exhaustedUntil`.
    case cooldown
    /// Cooling down because its credentials were refused (`lastErrorCode == "auth_invalid"`).
    case authInvalid = "auth_invalid"
}

/// The error codes the plugin writes into `lastErrorCode`.
public enum AccountErrorCode {
    /// Quota exhausted.
    public static let insufficientQuota = "insufficient_quota"
    /// Credentials refused by the server.
    public static let authInvalid = "auth_invalid"
}
