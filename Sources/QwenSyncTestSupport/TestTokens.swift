import QwenSyncCore

/// Tokens and credentials for tests (never real secrets).
public enum TestTokens {
    /// An unsigned JWT whose payload is `claims` (e.g. `["sub": "alice", "email": "a@example.com"]`),
    /// the shape qwen-sync reads an account's identity from.
    public static func jwt(_ claims: JSONValue) -> String {
        let header = Base64URL.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8))
        let payload = Base64URL.encode(claims.serializedBytes(.compact))
        return "\(header).\(payload).sig"
    }

    /// Credentials with these tokens: by default a fixed `at-1`/`rt-1` pair expiring in 2026,
    /// with qwen-code's `resource_url`.
    public static func credentials(
        access: String = "at-1", refresh: String = "rt-1", expiry: Int64 = 1_795_321_151_953, resource: String? = "portal.qwen.ai"
    ) -> OAuthCredentials {
        OAuthCredentials(accessToken: access, refreshToken: refresh, expiryDate: expiry, resourceURL: resource)
    }
}
