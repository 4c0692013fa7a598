import QwenSyncCore

/// When a refresh is still needed once the locks are held and the files re-read.
public enum RefreshPolicy: Sendable, Equatable {
    /// Refresh only if the token expires within this span (the daemon's timers, `token --min-ttl`).
    case ifExpiringWithin(Duration)
    /// Refresh unless the account's refresh token is no longer the one seen before locking,
    /// which means another process refreshed it meanwhile (`qwen-sync refresh`).
    case unlessRotatedSince(refreshToken: String)

    /// Whether a refresh is still needed for an account now holding `token`.
    func stillNeeded(for token: OAuthCredentials, nowMs: Int64) -> Bool {
        switch self {
        case .ifExpiringWithin(let lead): token.expiryDate - nowMs <= lead.inMilliseconds
        case .unlessRotatedSince(let seen): token.refreshToken == seen
        }
    }
}
