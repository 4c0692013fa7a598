import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// `oauth_accounts.json`: lossless rewrites, rejected entries kept, health derivation.
@Suite("Accounts store document")
struct AccountsDocumentTests {
    /// A store as the plugin writes it, plus unknown fields at every level and two entries the
    /// plugin would drop.
    static let store = """
        {
          "version": 1,
          "topUnknown": {
            "keep": [
              1,
              2
            ]
          },
          "activeAccountId": "acct_a_00000001",
          "accounts": [
            {
              "id": "acct_a_00000001",
              "token": {
                "access_token": "at-a",
                "token_type": "Bearer",
                "refresh_token": "rt-a",
                "expiry_date": 1795321151953,
                "tokenUnknown": "t"
              },
              "resource_url": "https://portal.qwen.ai",
              "exhaustedUntil": 0,
              "accountUnknown": {
                "nested": null
              },
              "createdAt": 1,
              "updatedAt": 2
            },
            {
              "id": "acct_b_00000002",
              "token": {
                "access_token": "at-b",
                "token_type": "Bearer",
                "refresh_token": "rt-b",
                "expiry_date": "later"
              }
            },
            "not an object",
            {
              "id": "acct_c_00000003",
              "token": {
                "access_token": "at-c",
                "token_type": "Bearer",
                "refresh_token": "rt-c",
                "expiry_date": 1795321151953
              },
              "exhaustedUntil": 9000000000000,
              "lastErrorCode": "insufficient_quota",
              "createdAt": 3,
              "updatedAt": 4
            }
          ],
          "trailingUnknown": 1.50
        }
        """

    @Test("an unchanged store re-encodes byte for byte")
    func roundTrip() throws {
        let document = try AccountsDocument(bytes: Array(Self.store.utf8))
        #expect(String(decoding: document.encoded(), as: UTF8.self) == Self.store)
    }

    /// A store as the plugin writes it, whose top level also holds an unknown object with `keys`
    /// members of mixed kinds, numbers in forms JavaScript would rewrite among them.
    static func storeWithWideUnknownObject(keys: Int) -> String {
        let values = [#""text \"quoted\" é""#, "1.0", "-0", "1e3", "null", "[]", "{}", "1795321151953", "true"]
        var members: [String] = []
        members.reserveCapacity(keys)
        for index in 0..<keys { members.append("    \"field-\(index)\": \(values[index % values.count])") }
        return """
            {
              "version": 1,
              "activeAccountId": "acct_a_00000001",
              "accounts": [
                {
                  "id": "acct_a_00000001",
                  "token": {
                    "access_token": "at-a",
                    "token_type": "Bearer",
                    "refresh_token": "rt-a",
                    "expiry_date": 1795321151953
                  },
                  "exhaustedUntil": 0
                }
              ],
              "wide": {
            \(members.joined(separator: ",\n"))
              }
            }
            """
    }

    @Test("a store with a 40 000-key unknown object re-encodes byte for byte")
    func wideUnknownObject() throws {
        let bytes = Array(Self.storeWithWideUnknownObject(keys: 40_000).utf8)
        let document = try AccountsDocument(bytes: bytes)
        #expect(document.accounts.map(\.id) == ["acct_a_00000001"])
        #expect(document.unknownField("wide")?.objectValue?.count == 40_000)
        #expect(document.unknownField("wide")?.objectValue?["field-39996"] == "text \"quoted\" é")
        let encoded = document.encoded()
        let firstDifference =
            zip(encoded, bytes).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            ?? min(encoded.count, bytes.count)
        #expect(encoded.count == bytes.count)
        #expect(firstDifference == bytes.count, "the encoding differs from byte \(firstDifference) on")
    }

    @Test("unknown fields at every level survive a change; rejected entries stay in place")
    func unknownFieldsSurviveRewrite() throws {
        var document = try AccountsDocument(bytes: Array(Self.store.utf8))
        #expect(document.accounts.map(\.id) == ["acct_a_00000001", "acct_c_00000003"])
        document.update(id: "acct_a_00000001") { $0.markExhausted(until: 5_000, code: AccountErrorCode.authInvalid, nowMs: 10) }
        document.update(id: "acct_c_00000003") {
            $0.setToken(TestTokens.credentials(access: "at-c2", refresh: "rt-c2", resource: nil), nowMs: 11)
        }
        document.activeAccountID = "acct_c_00000003"
        let reread = try JSON.parse(document.encoded())
        let root = try #require(reread.objectValue)
        #expect(root.keys == ["version", "topUnknown", "activeAccountId", "accounts", "trailingUnknown"])
        #expect(root["topUnknown"] == ["keep": [1, 2]])
        #expect(root["trailingUnknown"]?.serialized() == "1.50")
        let entries = try #require(root["accounts"]?.arrayValue)
        #expect(entries.count == 4)
        let first = try #require(entries[0].objectValue)
        #expect(first["accountUnknown"] == ["nested": nil])
        #expect(first["token"]?.objectValue?["tokenUnknown"] == "t")
        #expect(first["exhaustedUntil"] == 5_000)
        #expect(first["lastErrorCode"] == "auth_invalid")
        #expect(first["updatedAt"] == 10)
        #expect(entries[1] == (try JSON.parse(Self.store)).objectValue?["accounts"]?.arrayValue?[1])
        #expect(entries[2] == "not an object")
        let third = try #require(entries[3].objectValue)
        #expect(third["token"]?.objectValue?["access_token"] == "at-c2")
        #expect(third["updatedAt"] == 11)
        #expect(third["createdAt"] == 3)
    }

    @Test("entries the plugin would drop are reported with their reason, not deleted")
    func rejectedEntries() throws {
        var document = try AccountsDocument(bytes: Array(Self.store.utf8))
        let rejected = document.rejectedEntries
        #expect(rejected.map(\.index) == [1, 2])
        #expect(rejected.first?.id == "acct_b_00000002")
        #expect(rejected.first?.reason == #"the field "expiry_date" must be a number of milliseconds, not a string"#)
        #expect(rejected.last?.id == nil)
        #expect(rejected.last?.reason == "not an object")
        #expect(document.remove(id: "acct_b_00000002") == false)
        #expect(document.remove(id: "acct_a_00000001") == true)
        #expect(document.activeAccountID == nil)
        #expect(document.rejectedEntries.count == 2)

        let missing = try AccountsDocument(bytes: Array(#"{"accounts":[{"token":{}},{"id":"x"},{"id":"","token":{}}]}"#.utf8))
        #expect(
            missing.rejectedEntries.map(\.reason) == [
                #"the field "id" is missing"#, #"the field "token" is missing"#, #"the field "id" is missing"#,
            ])
    }

    @Test("a store that is not version 1, not JSON or has a non-array accounts field is refused")
    func refusedStores() {
        let cases: [(String, String)] = [
            (#"{"version":2,"accounts":[]}"#, "unsupported version 2"),
            (#"{"version":"1","accounts":[]}"#, "unsupported version"),
            (#"{"accounts":{}}"#, #""accounts" must be an array"#),
            ("[]", "expected a JSON object, found array"),
            ("{", "not valid JSON"),
        ]
        for (text, fragment) in cases {
            let error = #expect(throws: AccountsStoreError.self) { try AccountsDocument(bytes: Array(text.utf8)) }
            #expect(error?.description.contains(fragment) == true, "\(text): \(String(describing: error))")
            #expect(error?.description.contains("left untouched") == true)
        }
    }

    @Test("a new store is written in the plugin's shape")
    func newStore() throws {
        var document = AccountsDocument()
        let token = TestTokens.credentials(access: TestTokens.jwt(["email": "a@example.com"]))
        document.add(StoredAccount(id: "acct_x_0000000a", token: token, nowMs: 42))
        document.activeAccountID = "acct_x_0000000a"
        let root = try #require(try JSON.parse(document.encoded()).objectValue)
        #expect(root.keys == ["version", "activeAccountId", "accounts"])
        let entry = try #require(root["accounts"]?.arrayValue?.first?.objectValue)
        #expect(entry.keys == ["id", "token", "resource_url", "exhaustedUntil", "accountKey", "createdAt", "updatedAt"])
        #expect(entry["resource_url"] == "https://portal.qwen.ai")
        #expect(entry["accountKey"] == "email:a@example.com")
        #expect(entry["exhaustedUntil"] == 0)
        #expect(AccountsDocument().encoded() == Array("{\n  \"version\": 1,\n  \"activeAccountId\": null,\n  \"accounts\": []\n}".utf8))
    }

    @Test("health: healthy when exhaustedUntil <= now, auth_invalid by lastErrorCode, otherwise cooldown")
    func healthDerivation() throws {
        func account(_ exhaustedUntil: Int64?, _ code: String?) throws -> StoredAccount {
            var raw = try #require((["id": "acct_1", "token": TestTokens.credentials().json] as JSONValue).objectValue)
            if let exhaustedUntil { raw["exhaustedUntil"] = .int(exhaustedUntil) }
            if let code { raw["lastErrorCode"] = .string(code) }
            let store: JSONValue = ["accounts": .array([.object(raw)])]
            let document = try AccountsDocument(bytes: store.serializedBytes())
            return try #require(document.accounts.first)
        }
        #expect(try account(nil, nil).state(nowMs: 1_000) == .healthy)
        #expect(try account(0, "auth_invalid").state(nowMs: 1_000) == .healthy)
        #expect(try account(1_000, "insufficient_quota").state(nowMs: 1_000) == .healthy)
        #expect(try account(1_001, "insufficient_quota").state(nowMs: 1_000) == .cooldown)
        #expect(try account(1_001, nil).state(nowMs: 1_000) == .cooldown)
        #expect(try account(1_001, "auth_invalid").state(nowMs: 1_000) == .authInvalid)
        #expect(AccountState.authInvalid.rawValue == "auth_invalid")

        var reset = try account(5_000, "auth_invalid")
        reset.resetHealth(nowMs: 7)
        #expect(reset.state(nowMs: 1_000) == .healthy)
        #expect(reset.raw["lastErrorCode"] == nil)
    }

    @Test("round-robin picks the next healthy account after the current one")
    func nextHealthy() throws {
        var document = AccountsDocument()
        for name in ["a", "b", "c"] {
            document.add(StoredAccount(id: "acct_\(name)", token: TestTokens.credentials(refresh: "rt-\(name)"), nowMs: 1))
        }
        document.update(id: "acct_b") { $0.markExhausted(until: 10_000, code: AccountErrorCode.insufficientQuota, nowMs: 1) }
        #expect(document.nextHealthy(after: "acct_a", nowMs: 5_000)?.id == "acct_c")
        #expect(document.nextHealthy(after: "acct_c", nowMs: 5_000)?.id == "acct_a")
        #expect(document.nextHealthy(after: nil, nowMs: 5_000)?.id == "acct_a")
        #expect(document.nextHealthy(after: "acct_a", nowMs: 10_000)?.id == "acct_b")
        document.update(id: "acct_a") { $0.markExhausted(until: 10_000, code: AccountErrorCode.authInvalid, nowMs: 1) }
        document.update(id: "acct_c") { $0.markExhausted(until: 10_000, code: AccountErrorCode.authInvalid, nowMs: 1) }
        #expect(document.nextHealthy(after: "acct_a", nowMs: 5_000) == nil)
        #expect(AccountsDocument().nextHealthy(after: nil, nowMs: 0) == nil)
    }
}
