import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// Account identity from JWT claims, never from the refresh token.
@Suite("Account identity")
struct AccountIdentityTests {
    @Test(
        "the first present claim of sub, uid, user_id, email, username wins",
        arguments: [
            (["sub": "s1", "uid": "u1", "email": "e@x.org"], "sub:s1"),
            (["email": "e@x.org", "uid": "u1"], "uid:u1"),
            (["username": "name", "user_id": "id7"], "user_id:id7"),
            (["username": "name", "email": "e@x.org"], "email:e@x.org"),
            (["username": "name"], "username:name"),
            (["sub": "", "uid": 42], "uid:42"),
            (["sub": nil, "email": "e@x.org"], "email:e@x.org"),
            (["sub": true, "iss": "qwen"], nil),
            ([:], nil),
        ] as [(JSONValue, String?)])
    func claims(payload: JSONValue, expected: String?) {
        #expect(AccountIdentity.key(forAccessToken: TestTokens.jwt(payload)) == expected)
    }

    @Test(
        "tokens that are not JWTs have no identity",
        arguments: [
            "opaque-access-token", "a.b", "a.b.c.d", "h.!!!.s", "h.\(Base64URL.encode(Array("not json".utf8))).s",
            "h.\(Base64URL.encode(Array("[1]".utf8))).s", "",
        ])
    func notJWT(token: String) {
        #expect(AccountIdentity.key(forAccessToken: token) == nil)
    }

    @Test("no refresh:<token> identity is ever written, even for tokens without claims")
    func neverRefreshKey() throws {
        var document = AccountsDocument()
        let opaque = TestTokens.credentials(access: "opaque-at", refresh: "SECRET-REFRESH")
        document.add(StoredAccount(id: "acct_1", token: opaque, nowMs: 1))
        document.update(id: "acct_1") {
            $0.setToken(TestTokens.credentials(access: "opaque-at-2", refresh: "SECRET-REFRESH-2"), nowMs: 2)
        }
        let text = String(decoding: document.encoded(), as: UTF8.self)
        #expect(!text.contains("refresh:"))
        #expect(!text.contains("accountKey"))
        #expect(text.split(separator: "SECRET-REFRESH-2", omittingEmptySubsequences: false).count == 2, "the refresh token is stored exactly once")
        #expect(document.accounts.first?.identityKey == nil)
        // An existing plugin `refresh:` key is never used as identity.
        let plugin =
            #"{"accounts":[{"id":"acct_p","accountKey":"refresh:rt","token":{"access_token":"a","token_type":"Bearer","refresh_token":"rt","expiry_date":1}}]}"#
        #expect(try AccountsDocument(bytes: Array(plugin.utf8)).accounts.first?.identityKey == nil)
    }

    @Test("matching: same identity first, then same refresh token")
    func matching() {
        var document = AccountsDocument()
        document.add(StoredAccount(id: "acct_jwt", token: TestTokens.credentials(access: TestTokens.jwt(["sub": "u1", "n": 1])), nowMs: 1))
        document.add(StoredAccount(id: "acct_opaque", token: TestTokens.credentials(access: "opaque", refresh: "rt-opaque"), nowMs: 1))
        let refreshed = TestTokens.credentials(access: TestTokens.jwt(["sub": "u1", "n": 2]), refresh: "rotated")
        #expect(document.account(matching: refreshed)?.id == "acct_jwt")
        #expect(document.account(matching: TestTokens.credentials(access: "other", refresh: "rt-opaque"))?.id == "acct_opaque")
        #expect(document.account(matching: TestTokens.credentials(access: TestTokens.jwt(["sub": "u2"]), refresh: "x")) == nil)
    }

    @Test("masked identities hide most of the value")
    func masked() {
        #expect(AccountIdentity.masked("sub:abcdefghij") == "sub:abc…ij")
        #expect(AccountIdentity.masked("email:alice@example.com") == "email:a…e@example.com")
        #expect(AccountIdentity.masked("uid:42") == "uid:4…")
        #expect(AccountIdentity.masked("refresh:secret-token") == "refresh:…")
        #expect(AccountIdentity.masked("garbage") == "…")
    }

    @Test("base64url round-trips every length, tolerates padding, refuses other alphabets and impossible lengths")
    func base64URL() {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 251) }
            let encoded = Base64URL.encode(bytes)
            #expect(!encoded.contains("=") && !encoded.contains("+") && !encoded.contains("/"))
            #expect(Base64URL.decode(encoded) == bytes)
        }
        #expect(Base64URL.encode(Array("any carnal pleas".utf8)) == "YW55IGNhcm5hbCBwbGVhcw")
        #expect(Base64URL.decode("YW55IGNhcm5hbCBwbGVhcw==") == Array("any carnal pleas".utf8))
        #expect(Base64URL.decode("-_-_") == [0xFB, 0xFF, 0xBF])
        #expect(Base64URL.decode("+/+/") == nil)
        #expect(Base64URL.decode("AAAAA") == nil)
        #expect(Base64URL.decode("a b") == nil)
        #expect(Base64URL.decode("a.b") == nil)
    }
}
