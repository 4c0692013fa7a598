import QwenSyncCore

/// Tokens issued by the token endpoint (device grant or refresh).
public struct TokenGrant: Sendable, Equatable, CustomStringConvertible {
    /// The assumed lifetime when a response carries an access token but no `expires_in`.
    ///
    /// Dropping such a response instead would lose a rotated refresh token for good.
    public static let assumedLifetimeSeconds = 3600

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

    /// Creates a grant from its parts.
    public init(
        accessToken: String,
        refreshToken: String?,
        tokenType: String = "Bearer",
        expiresIn: Int,
        scope: String? = nil,
        resourceURL: String? = nil,
        idToken: String? = nil
    ) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.tokenType = tokenType
        self.expiresIn = expiresIn
        self.scope = scope
        self.resourceURL = resourceURL
        self.idToken = idToken
    }

    /// The `expiry_date` to store: `nowMilliseconds + expiresIn * 1000`.
    ///
    /// - Parameter nowMilliseconds: the wall-clock time the response arrived, epoch ms.
    public func expiryDate(nowMilliseconds: Int64) -> Int64 {
        nowMilliseconds + Int64(expiresIn) * 1000
    }

    /// The shape and lifetime, never a token.
    public var description: String {
        "TokenGrant(tokenType: \(tokenType), expiresIn: \(expiresIn), rotated: \(refreshToken != nil))"
    }

    /// Reads a token response; `nil` when it has no non-empty `access_token`.
    init?(_ object: JSONObject) {
        guard let accessToken = object["access_token"]?.stringValue, !accessToken.isEmpty else { return nil }
        func text(_ key: String) -> String? {
            guard let value = object[key]?.stringValue, !value.isEmpty else { return nil }
            return value
        }
        let lifetime = object["expires_in"]?.flexibleInt ?? 0
        self.init(
            accessToken: accessToken,
            refreshToken: text("refresh_token"),
            tokenType: text("token_type") ?? "Bearer",
            expiresIn: lifetime > 0 ? lifetime : Self.assumedLifetimeSeconds,
            scope: text("scope"),
            resourceURL: text("resource_url"),
            idToken: text("id_token")
        )
    }
}
