import QwenSyncCore

/// The documents the benchmarks read and write, built once.
enum Inputs {
    /// A token with identity claims, as the OAuth server issues them (unsigned; never a real one).
    static func credentials(account index: Int, generation: Int = 0) -> OAuthCredentials {
        let claims = JSONValue.object(JSONObject([("sub", .string("user-\(index)")), ("email", .string("u\(index)@example.com"))]))
        let payload = Base64URL.encode(claims.serializedBytes(.compact))
        return OAuthCredentials(
            accessToken: "eyJhbGciOiJub25lIn0.\(payload).at\(generation)", refreshToken: "rt-\(index)-\(generation)",
            expiryDate: 1_795_321_151_953 + Int64(generation), resourceURL: "portal.qwen.ai")
    }

    /// `oauth_creds.json` as qwen-code writes it.
    static let credentialsFile: [UInt8] = CredentialsFile.encode(credentials(account: 0))

    /// An accounts store with `count` accounts, the first one active.
    static func store(accounts count: Int) -> AccountsDocument {
        var document = AccountsDocument()
        for index in 0..<count {
            document.add(StoredAccount(id: "acct_bench_\(index)", token: credentials(account: index), nowMs: 1_700_000_000_000))
        }
        document.activeAccountID = "acct_bench_0"
        return document
    }

    /// A 50-account store, encoded.
    static let fiftyAccountStore: [UInt8] = store(accounts: 50).encoded()

    /// A one-account store whose top level also holds an unknown object with 40,000 keys.
    static let wideStore: [UInt8] = {
        var document = store(accounts: 1)
        let wide = (0..<40_000).map { ("field-\($0)", JSONValue.string("value \($0)")) }
        document.setUnknownField("wide", .object(JSONObject(wide)))
        return document.encoded()
    }()
}
