/// One entry of `oauth_accounts.json`, kept as the JSON it was read from so that fields
/// qwen-sync does not know survive a rewrite.
public struct StoredAccount: Sendable, Equatable {
    /// The entry exactly as stored, updated in place by the setters.
    public private(set) var raw: JSONObject
    /// The account's tokens (the entry's `token` object).
    public private(set) var token: OAuthCredentials

    /// Reads an entry; throws when the plugin would drop it (no id or no valid token).
    init(raw: JSONObject) throws(CredentialsError) {
        guard raw["id"]?.stringValue?.isEmpty == false else { throw .missingField("id") }
        guard let token = raw["token"] else { throw .missingField("token") }
        self.raw = raw
        self.token = try OAuthCredentials(json: token)
    }

    /// A new entry for `token`, as the plugin would create it.
    public init(id: String, token: OAuthCredentials, nowMs: Int64) {
        var object = JSONObject()
        object["id"] = .string(id)
        object["token"] = token.json
        if let resource = token.resourceURL { object["resource_url"] = .string(APIBaseURL.withScheme(resource)) }
        object["exhaustedUntil"] = .int(0)
        if let key = AccountIdentity.key(forAccessToken: token.accessToken) { object["accountKey"] = .string(key) }
        object["createdAt"] = .int(nowMs)
        object["updatedAt"] = .int(nowMs)
        raw = object
        self.token = token
    }

    /// The account id, `acct_<base36 ms>_<8 hex>`.
    public var id: String { raw["id"]?.stringValue ?? "" }

    /// The stored identity key, else the one derived from the access token.
    public var identityKey: String? {
        raw["accountKey"]?.stringValue.flatMap { $0.hasPrefix("refresh:") ? nil : $0 }
            ?? AccountIdentity.key(forAccessToken: token.accessToken)
    }

    /// Until when the account cools down (ms; 0 = healthy).
    public var exhaustedUntil: Int64 { raw["exhaustedUntil"]?.epochMilliseconds ?? 0 }

    /// The last error the plugin or qwen-sync recorded.
    public var lastErrorCode: String? { raw["lastErrorCode"]?.stringValue }

    /// The health at `nowMs`.
    public func state(nowMs: Int64) -> AccountState {
        guard exhaustedUntil > nowMs else { return .healthy }
        return lastErrorCode == AccountErrorCode.authInvalid ? .authInvalid : .cooldown
    }

    /// Replaces the tokens (after a refresh or a login) and stamps `updatedAt`.
    public mutating func setToken(_ newToken: OAuthCredentials, nowMs: Int64) {
        var merged = newToken
        if let previous = raw["token"]?.objectValue {
            for (key, value) in previous where !OAuthCredentials.knownKeys.contains(key) && merged.extraFields[key] == nil {
                merged.extraFields[key] = value
            }
        }
        token = merged
        raw["token"] = merged.json
        if let resource = merged.resourceURL { raw["resource_url"] = .string(APIBaseURL.withScheme(resource)) }
        if let key = AccountIdentity.key(forAccessToken: merged.accessToken) {
            raw["accountKey"] = .string(key)
        } else if raw["accountKey"]?.stringValue?.hasPrefix("refresh:") == true {
            // The plugin's fallback key holds the old refresh token: never keep a rotated-out
            // token on disk (the plugin derives its key again when it loads the store).
            raw["accountKey"] = nil
        }
        raw["updatedAt"] = .int(nowMs)
    }

    /// Starts a cooldown until `untilMs` with `code` (`insufficient_quota` or `auth_invalid`).
    public mutating func markExhausted(until untilMs: Int64, code: String, nowMs: Int64) {
        raw["exhaustedUntil"] = .int(untilMs)
        raw["lastErrorCode"] = .string(code)
        raw["updatedAt"] = .int(nowMs)
    }

    /// Clears any cooldown and error.
    public mutating func resetHealth(nowMs: Int64) {
        raw["exhaustedUntil"] = .int(0)
        raw["lastErrorCode"] = nil
        raw["updatedAt"] = .int(nowMs)
    }

    /// A new account id: `acct_<base36 ms>_<8 hex>`.
    public static func makeID(nowMs: Int64) -> String {
        "acct_\(String(nowMs, radix: 36))_\(RandomHex.string(byteCount: 4))"
    }
}

/// The API base URL rule of `docs/INTEROP.md`, "OAuth endpoints".
public enum APIBaseURL {
    /// The default when no `resource_url` is known.
    public static let fallback = "https://dashscope.aliyuncs.com/compatible-mode/v1"

    /// `resource_url` with `https://` added unless it starts with `http` (the store's form).
    public static func withScheme(_ resourceURL: String) -> String {
        resourceURL.hasPrefix("http") ? resourceURL : "https://" + resourceURL
    }

    /// `resource_url` with `https://` added unless it starts with `http`, and `/v1` unless it ends so.
    public static func normalize(_ resourceURL: String) -> String {
        var url = withScheme(resourceURL)
        while url.hasSuffix("/") { url.removeLast() }
        return url.hasSuffix("/v1") ? url : url + "/v1"
    }
}
