/// A signed-in identity on the stand-in and its live tokens.
struct Account: Sendable {
    /// The stable identity (`sub` in access tokens).
    let sub: String
    /// The e-mail address (`email` in access tokens).
    var email: String
    /// Refresh tokens that still work, oldest first.
    var liveRefreshTokens: [String] = []
    /// The access token issued last, if any.
    var latestAccessToken: String?
}
