import QwenSyncCore

/// Tokens and accounts for tests: JWT-shaped access tokens whose payload names an identity,
/// the way the stand-in server (and Qwen) mints them.
enum TokenFactory {
    /// A JWT-shaped access token for `sub` (no identity claim when `sub` is nil).
    static func accessToken(sub: String?, serial: String = "1") -> String {
        let header: JSONValue = ["alg": "HS256", "typ": "JWT"]
        var payload = JSONObject([("iss", "test")])
        if let sub { payload["sub"] = .string(sub) }
        return encode(header.serializedBytes(.compact)) + "." + encode(JSONValue.object(payload).serializedBytes(.compact))
            + ".at-SECRET-\(sub ?? "anon")-\(serial)"
    }

    /// Credentials for `sub` expiring at `expiry` with refresh token `refresh`.
    static func credentials(sub: String?, refresh: String, expiry: Int64, serial: String = "1") -> OAuthCredentials {
        OAuthCredentials(
            accessToken: accessToken(sub: sub, serial: serial), refreshToken: refresh, expiryDate: expiry,
            resourceURL: "portal.qwen.ai"
        )
    }

    /// A stored account `id` holding `token`, optionally cooling down until `until` with `code`.
    static func account(_ id: String, _ token: OAuthCredentials, until: Int64 = 0, code: String? = nil) -> StoredAccount {
        var account = StoredAccount(id: id, token: token, nowMs: 1)
        if until > 0 { account.markExhausted(until: until, code: code ?? AccountErrorCode.insufficientQuota, nowMs: 1) }
        return account
    }

    /// An accounts document with `accounts` in order and `active` active.
    static func document(_ accounts: [StoredAccount], active: String?) -> AccountsDocument {
        var document = AccountsDocument()
        for account in accounts { document.add(account) }
        document.activeAccountID = active
        return document
    }

    private static func encode(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var text = ""
        var index = 0
        while index < bytes.count {
            let chunk = Array(bytes[index..<min(index + 3, bytes.count)])
            let value = (UInt32(chunk[0]) << 16) | (UInt32(chunk.count > 1 ? chunk[1] : 0) << 8) | UInt32(chunk.count > 2 ? chunk[2] : 0)
            for position in 0..<(chunk.count + 1) { text.append(alphabet[Int((value >> (18 - 6 * UInt32(position))) & 63)]) }
            index += 3
        }
        return text
    }
}
