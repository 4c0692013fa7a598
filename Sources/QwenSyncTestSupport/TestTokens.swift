import QwenSyncCore

/// Tokens and credentials for tests (never real secrets).
public enum TestTokens {
    /// An unsigned JWT whose payload is `claims`.
    public static func jwt(_ claims: JSONValue) -> String {
        let header = Base64URL.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8))
        let payload = Base64URL.encode(claims.serializedBytes(.compact))
        return "\(header).\(payload).sig"
    }

    /// Credentials with these tokens.
    public static func credentials(
        access: String = "at-1", refresh: String = "rt-1", expiry: Int64 = 1_795_321_151_953, resource: String? = "portal.qwen.ai"
    ) -> OAuthCredentials {
        OAuthCredentials(accessToken: access, refreshToken: refresh, expiryDate: expiry, resourceURL: resource)
    }
}
