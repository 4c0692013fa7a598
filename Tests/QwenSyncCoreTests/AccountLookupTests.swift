import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// How accounts are named, shown and looked up: masked identities, label rules, ambiguity.
@Suite("account lookup, labels and shown identity")
struct AccountLookupTests {
    static func state(_ entries: [(id: String, claims: JSONValue?, label: String?)]) -> CredentialState {
        var accounts = AccountsDocument()
        var sidecar = SidecarDocument()
        for entry in entries {
            let access = entry.claims.map(TestTokens.jwt) ?? "opaque-\(entry.id)"
            accounts.add(StoredAccount(id: entry.id, token: TestTokens.credentials(access: access, refresh: "rt-\(entry.id)"), nowMs: 1))
            if let label = entry.label { sidecar.notes[entry.id] = .init(label: label) }
        }
        return CredentialState(accounts: accounts, credentials: nil, sidecar: sidecar)
    }

    static func ids(_ lookup: AccountLookup) -> [String] {
        switch lookup {
        case .found(let account): [account.id]
        case .notFound: []
        case .ambiguous(let accounts): accounts.map(\.id)
        }
    }

    @Test("shown identity: masked email, else masked key, else nil")
    func shownIdentity() {
        #expect(
            AccountIdentity.shown(accessToken: TestTokens.jwt(["sub": "abcdefgh", "email": "john@example.com"]), identityKey: "sub:abcdefgh")
                == "j…n@example.com")
        #expect(AccountIdentity.shown(accessToken: TestTokens.jwt(["sub": "abcdefgh"]), identityKey: "sub:abcdefgh") == "sub:abc…gh")
        #expect(AccountIdentity.shown(accessToken: "opaque", identityKey: "email:zoe@example.org") == "z…@example.org")
        #expect(AccountIdentity.shown(accessToken: "opaque", identityKey: nil) == nil)
        #expect(AccountIdentity.maskedEmail("user-5@example.com") == "us…-5@example.com", "user-5 and user-6 stay apart")
        #expect(AccountIdentity.maskedEmail("user-6@example.com") == "us…-6@example.com")
        #expect(AccountIdentity.maskedEmail("bob@example.com") == "b…@example.com", "a short local part keeps one character")
        #expect(AccountIdentity.maskedEmail("@example.com") == nil)
        #expect(AccountIdentity.maskedEmail("no-at-sign") == nil)
    }

    @Test(
        "label rules",
        arguments: [
            ("work", nil), ("Zoë's account", nil), ("", "empty"), ("a\u{0}b", "control"), ("a\u{7F}", "control"), ("a\u{85}", "control"),
            ("a\u{202E}b", "control"), ("a\u{2028}b", "control"), (" x", "space"), ("x\t", "control"), (String(repeating: "é", count: 65), "at most"),
            (String(repeating: "é", count: 64), nil),
        ])
    func labels(_ label: String, _ problem: String?) {
        let found = LabelRules.problem(with: label)
        if let problem { #expect(found?.contains(problem) == true, "\(label.debugDescription): \(found ?? "accepted")") } else { #expect(found == nil) }
    }

    @Test("lookup: exact id first; then label, email or shown identity; then id prefix; several at one step are ambiguous")
    func lookup() {
        let state = Self.state([
            ("acct_1", ["sub": "u-0001", "email": "john@example.com"], "work"),
            ("acct_2", ["sub": "u-0002", "email": "jane@example.com"], "acct_1x"),
            ("acct_13", nil, "home"),
        ])
        #expect(Self.ids(state.lookUpAccount("acct_1")) == ["acct_1"], "an exact id beats the prefix of acct_13")
        #expect(Self.ids(state.lookUpAccount("work")) == ["acct_1"])
        #expect(Self.ids(state.lookUpAccount("jane@example.com")) == ["acct_2"])
        #expect(Self.ids(state.lookUpAccount("j…n@example.com")) == ["acct_1"], "john and jane are told apart")
        #expect(Self.ids(state.lookUpAccount("j…e@example.com")) == ["acct_2"])
        #expect(Self.ids(state.lookUpAccount("acct_1x")) == ["acct_2"], "a label beats an id prefix")
        #expect(Self.ids(state.lookUpAccount("acct_")) == ["acct_1", "acct_2", "acct_13"])
        #expect(Self.ids(state.lookUpAccount("acct_13")) == ["acct_13"])
        #expect(Self.ids(state.lookUpAccount("nobody")) == [])
        #expect(Self.ids(state.lookUpAccount("")) == [])
    }

    @Test("a label conflicts with another account's label, id, email or shown identity, never with its own")
    func conflicts() {
        let state = Self.state([("acct_1", ["sub": "u-0001", "email": "john@example.com"], "work"), ("acct_2", nil, nil)])
        for taken in ["work", "acct_1", "john@example.com", "j…n@example.com"] {
            #expect(state.labelConflict(taken, for: "acct_2")?.id == "acct_1", "\(taken)")
            #expect(state.labelConflict(taken, for: "acct_1") == nil, "\(taken)")
        }
        #expect(state.labelConflict("free", for: nil) == nil)
    }
}
