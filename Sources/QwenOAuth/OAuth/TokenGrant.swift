import QwenSyncCore

/// Tokens issued by the token endpoint (device grant or refresh).
public struct TokenGrant: Sendable, Equatable, CustomStringConvertible {
    /// The assumed lifetime when a response carries an access token but no `expires_in`.
    ///
    /// Dropping such a response instead would lose a rotated refresh token for good.
    public static let assumedLifetimeSeconds = Int(TokenResponse.assumedLifetimeSeconds)

    /// The new access token.
    public let accessToken: String
    /// The new refresh token, or `nil` when the server did not rotate it (keep the old one).
    public let refreshToken: String?
    /// The token type, `Bearer` unless the server said otherwise.
    public let tokenType: String
    /// Seconds the access token lives from issue.
    public let expiresIn: Int
    /// The granted scope, when sent.
    public let scope: String?
    /// The API host (`resource_url`), when sent.
    public let resourceURL: String?
    /// The OpenID Connect ID token, when sent.
    public let idToken: String?
    /// Why the server's `expires_in` was not used as sent (clamped or assumed), for the log.
    public let lifetimeProblem: String?

    /// Creates a grant from its parts.
    public init(
        accessToken: String,
        refreshToken: String?,
        tokenType: String = "Bearer",
        expiresIn: Int,
        scope: String? = nil,
        resourceURL: String? = nil,
        idToken: String? = nil,
        lifetimeProblem: String? = nil
    ) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.tokenType = tokenType
        self.expiresIn = expiresIn
        self.scope = scope
        self.resourceURL = resourceURL
        self.idToken = idToken
        self.lifetimeProblem = lifetimeProblem
    }

    /// The `expiry_date` to store: `nowMilliseconds + expiresIn * 1000`, saturating.
    ///
    /// - Parameter nowMilliseconds: the wall-clock time the response arrived, epoch ms.
    public func expiryDate(nowMilliseconds: Int64) -> Int64 {
        nowMilliseconds.addingSaturated(Int64(expiresIn).multipliedSaturated(by: 1000))
    }

    /// The shape and lifetime, never a token.
    public var description: String {
        "TokenGrant(tokenType: \(tokenType), expiresIn: \(expiresIn), rotated: \(refreshToken != nil))"
    }

    /// Reads a token response (``TokenResponse``); `nil` when it has no non-empty `access_token`.
    init?(_ object: JSONObject) {
        guard let response = TokenResponse(object), let accessToken = response.accessToken else { return nil }
        self.init(
            accessToken: accessToken,
            refreshToken: response.refreshToken,
            tokenType: response.tokenType,
            expiresIn: Int(response.lifetime.seconds),
            scope: response.scope,
            resourceURL: response.resourceURL,
            idToken: response.idToken,
            lifetimeProblem: response.lifetime.problem
        )
    }
}
