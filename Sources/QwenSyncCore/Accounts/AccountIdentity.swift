/// Who an access token belongs to, from its JWT payload, in the accounts plugin's
/// `accountKey` form `<claim>:<value>`.
///
/// The claims are tried in the plugin's order: `sub`, `uid`, `user_id`, `email`, `username`.
/// Unlike the plugin, qwen-sync never falls back to `refresh:<token>`: that would store the
/// refresh token a second time. Tokens without claims are matched by refresh token in memory.
public enum AccountIdentity {
    static let claims = ["sub", "uid", "user_id", "email", "username"]

    /// The identity key of `accessToken`, or `nil` when it is not a JWT with one of the claims.
    public static func key(forAccessToken accessToken: String) -> String? {
        guard let payload = payload(of: accessToken) else { return nil }
        for claim in claims {
            switch payload[claim] {
            case .string(let value)? where !value.isEmpty: return "\(claim):\(value)"
            case .number(let value)?: return "\(claim):\(value.literal)"
            default: continue
            }
        }
        return nil
    }

    /// A form of the identity safe to show: `sub:ab…yz`, `email:a…e@example.com`.
    public static func masked(_ key: String) -> String {
        guard let colon = key.firstIndex(of: ":") else { return "…" }
        let claim = key[..<colon]
        let value = key[key.index(after: colon)...]
        if claim == "refresh" { return "refresh:…" }
        if claim == "email", let at = value.firstIndex(of: "@") {
            return "email:" + maskedLocalPart(value[..<at]) + value[at...]
        }
        guard value.count > 6 else { return "\(claim):\(value.prefix(1))…" }
        return "\(claim):\(value.prefix(3))…\(value.suffix(2))"
    }

    /// The email claim, when present (shown as a default label).
    public static func email(forAccessToken accessToken: String) -> String? {
        payload(of: accessToken)?["email"]?.stringValue
    }

    private static func payload(of token: String) -> JSONObject? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let bytes = Base64URL.decode(parts[1]), bytes.count < 16_384 else { return nil }
        return (try? JSON.parse(bytes))?.objectValue
    }
}
