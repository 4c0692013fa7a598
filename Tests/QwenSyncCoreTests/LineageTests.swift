import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Synchronization
import Testing

/// Which account a token belongs to when tokens carry no identity, and the rule that no refresh
/// token that may still work is ever dropped (README.md, "Which account a token belongs to").
@Suite("Lineage")
struct LineageTests {
    static let now: Int64 = 1_800_000_000_000
    static let hour: Int64 = 3_600_000

    /// Claim-less credentials (the access token is no JWT), as many servers and peers issue them.
    private func anonymous(_ refresh: String, expiry: Int64 = now + hour) -> OAuthCredentials {
        TestTokens.credentials(access: "at-for-\(refresh)", refresh: refresh, expiry: expiry)
    }

    private func account(_ id: String, _ token: OAuthCredentials) -> StoredAccount { StoredAccount(id: id, token: token, nowMs: 1) }

    private func state(_ accounts: [StoredAccount], active: String?, file: OAuthCredentials?) -> CredentialState {
        var document = AccountsDocument()
        for account in accounts { document.add(account) }
        document.activeAccountID = active
        return CredentialState(accounts: document, credentials: file)
    }

    @Test("a claim-less token in oauth_creds.json is the active account's refresh, not a new account")
    func claimlessTokenFollowsTheMirroredAccount() {
        var subject = state(
            [account("A", anonymous("rt-a0")), account("B", anonymous("rt-b0"))], active: "A", file: anonymous("rt-a1", expiry: Self.now + 2 * Self.hour))
        #expect(subject.owner(of: subject.credentials!) == .account(id: "A", fate: nil))
        #expect(subject.reconcileCredentialsFile(nowMs: Self.now) == .updated(id: "A"))
        #expect(subject.accounts.accounts.count == 2)
        #expect(subject.accounts.account(id: "A")?.token.refreshToken == "rt-a1")
        #expect(subject.accounts.account(id: "B")?.token.refreshToken == "rt-b0")
    }

    @Test("with no active account, the account qwen-sync last saw in the file is the one mirrored")
    func ledgerNamesTheMirroredAccount() {
        var subject = state(
            [account("A", anonymous("rt-a0")), account("B", anonymous("rt-b0"))], active: nil, file: anonymous("rt-b1", expiry: Self.now + 2 * Self.hour))
        subject.sidecar.ledger.credentialsAccountID = "B"
        #expect(subject.reconcileCredentialsFile(nowMs: Self.now) == .updated(id: "B"))
    }

    @Test("identity claims that name nobody in the store are a new login")
    func claimsNamingNobodyAreANewLogin() {
        let carol = TestTokens.credentials(access: TestTokens.jwt(["sub": "carol"]), refresh: "rt-c0")
        var subject = state([account("A", anonymous("rt-a0"))], active: "A", file: carol)
        guard case .added(let id) = subject.reconcileCredentialsFile(nowMs: Self.now) else {
            Issue.record("expected a new account")
            return
        }
        #expect(subject.accounts.account(id: id)?.token == carol)
        #expect(subject.accounts.account(id: "A")?.token.refreshToken == "rt-a0")
    }

    @Test("a token the ledger knows rotated out is never taken in, and never kept")
    func rotatedOutTokenIsStale() {
        var subject = state([account("A", anonymous("rt-a1"))], active: "A", file: anonymous("rt-a0", expiry: Self.now + 3 * Self.hour))
        subject.sidecar.ledger.record("rt-a0", of: "A", fate: .rotated, nowMs: Self.now)
        #expect(subject.reconcileCredentialsFile(nowMs: Self.now) == .stale(id: "A"))
        #expect(subject.accounts.account(id: "A")?.token.refreshToken == "rt-a1", "a later expiry does not revive a dead token")
        #expect(subject.accounts.accounts.count == 1)
    }

    @Test("an older token of an account is not taken in (no downgrade)")
    func olderTokenIsStale() {
        var subject = state([account("A", anonymous("rt-a1"))], active: "A", file: anonymous("rt-a0", expiry: Self.now - 1))
        #expect(subject.reconcileCredentialsFile(nowMs: Self.now) == .stale(id: "A"))
        #expect(subject.accounts.account(id: "A")?.token.refreshToken == "rt-a1")
    }

    @Test("the ledger: one current token per account, dead tokens stay dead, history is bounded")
    func ledgerRules() {
        var ledger = TokenLedger()
        ledger.record("rt-0", of: "A", fate: .current, nowMs: 1)
        ledger.record("rt-1", of: "A", fate: .current, nowMs: 2)
        #expect(ledger.entry(for: "rt-0")?.fate == .superseded)
        #expect(ledger.entry(for: "rt-1")?.fate == .current)
        ledger.record("rt-1", of: "A", fate: .rotated, nowMs: 3)
        ledger.record("rt-1", of: "A", fate: .current, nowMs: 4)
        #expect(ledger.isDead("rt-1"), "a rotated-out token never comes back to life")
        for index in 0..<100 { ledger.record("rt-x\(index)", of: "A", fate: .current, nowMs: 10 + Int64(index)) }
        #expect(ledger.entries.filter { $0.accountID == "A" }.count == 64)
        #expect(ledger.isDead("rt-1"), "the oldest superseded records went first; the dead one is still known")
        #expect(!ledger.entries.contains { $0.fingerprint.contains("rt-") }, "fingerprints, never tokens")
        #expect(TokenLedger.fingerprint(of: "rt-1").count == 32)
    }

    @Test("switching accounts over an unknown claim-less login keeps it: it becomes the active account's tokens")
    func switchDoesNotOverwriteAnUnknownLogin() async throws {
        try await withTemporaryDirectory { directory in
            let store = CredentialStore(settings: try settings(directory.path))
            try store.transaction { state in
                state.accounts.add(account("A", anonymous("rt-a0", expiry: Self.now)))
                state.accounts.add(account("B", anonymous("rt-b0", expiry: Self.now)))
                state.activate("A")
            }
            // A qwen-code process refreshes A alone: it writes only oauth_creds.json.
            let peer = anonymous("rt-a1", expiry: Self.now + Self.hour)
            try SecureFile.replace(store.settings.credentialsPath, with: CredentialsFile.encode(peer))
            _ = try store.transaction { state in state.activate("B") }
            let after = try store.read()
            #expect(after.accounts.account(id: "A")?.token.refreshToken == "rt-a1", "the peer's token is A's now")
            #expect(after.credentials?.refreshToken == "rt-b0")
            #expect(after.accounts.accounts.count == 2)
            #expect(after.recovered.entries.map(\.token.refreshToken) == ["rt-a0"], "A's previous token is kept: nobody saw it die")
            #expect(FileTools.mode(store.settings.recoveredPath) == 0o600)
        }
    }

    @Test("a removed account is kept with its label and restored as it was")
    func removeAndRestore() async throws {
        try await withTemporaryDirectory { directory in
            var store = CredentialStore(settings: try settings(directory.path))
            let notices = NoticeLog()
            store.notice = { notices.append($0) }
            try store.transaction { state in
                state.accounts.add(account("A", anonymous("rt-a0")))
                state.accounts.add(account("B", anonymous("rt-b0")))
                state.activate("A")
                state.sidecar.notes["B"] = .init(label: "work")
            }
            try store.transaction { state in
                state.accounts.remove(id: "B")
                state.sidecar.notes["B"] = nil
            }
            let removed = try store.read()
            #expect(removed.accounts.account(id: "B") == nil)
            #expect(removed.recovered.entries.map(\.accountID) == ["B"])
            #expect(removed.recovered.entries.first?.label == "work")
            #expect(notices.lines.count == 1 && notices.lines[0].contains("accounts restore B"), "\(notices.lines)")
            #expect(!notices.lines.joined().contains("rt-"), "notices never carry a token")

            try store.transaction { state in try state.restore(accountID: "B", replace: false, nowMs: Self.now) }
            let restored = try store.read()
            #expect(restored.accounts.account(id: "B")?.token.refreshToken == "rt-b0")
            #expect(restored.sidecar.label(of: "B") == "work")
            #expect(restored.recovered.entries.isEmpty)
            #expect(throws: StoreError.self) { try store.transaction { state in try state.restore(accountID: "B", replace: false, nowMs: Self.now) } }
        }
    }

    @Test("removing the active account while oauth_creds.json holds it keeps it for undo, and it is not taken in again")
    func removedActiveAccountIsNotReadopted() async throws {
        try await withTemporaryDirectory { directory in
            let store = CredentialStore(settings: try settings(directory.path))
            try store.transaction { state in
                state.accounts.add(account("A", anonymous("rt-a0")))
                state.activate("A")
            }
            _ = try store.transaction { state in state.accounts.remove(id: "A") }
            let after = try store.read()
            #expect(after.credentials?.refreshToken == "rt-a0", "oauth_creds.json is never deleted")
            #expect(after.recovered.entries.map(\.accountID) == ["A"])
            try store.transaction { _ in }
            #expect(try store.read().accounts.accounts.isEmpty, "the removed account did not come back as a new one")
        }
    }

    @Test("a stale copy written over oauth_creds.json is kept when nobody saw it die, dropped when the ledger did")
    func displacedCopies() async throws {
        try await withTemporaryDirectory { directory in
            let store = CredentialStore(settings: try settings(directory.path))
            try store.transaction { state in
                state.accounts.add(account("A", anonymous("rt-a1")))
                state.activate("A")
                state.sidecar.ledger.record("rt-dead", of: "A", fate: .rotated, nowMs: Self.now)
            }
            for (token, kept) in [("rt-old", true), ("rt-dead", false)] {
                // An editor extension writes its cached (older) token in place.
                try SecureFile.replace(store.settings.credentialsPath, with: CredentialsFile.encode(anonymous(token, expiry: 1)))
                _ = try store.transaction { state in state.mirrorActiveAccount() }
                let after = try store.read()
                #expect(after.credentials?.refreshToken == "rt-a1")
                #expect(after.recovered.contains(refreshToken: token) == kept, "\(token)")
            }
        }
    }

    @Test("a peer's wholesale rewrite: a dead token written over an account is replaced by the remembered live one; a dropped account is kept")
    func reinstateFromMemory() {
        let remembered = [account("A", anonymous("rt-a1", expiry: Self.now + Self.hour)), account("B", anonymous("rt-b0"))]
        // The plugin (v2.5) writes back its stale store: A has its rotated-out token, B is gone.
        var subject = state([account("A", anonymous("rt-a0", expiry: Self.now))], active: "A", file: nil)
        subject.sidecar.ledger.record("rt-a0", of: "A", fate: .rotated, nowMs: Self.now)
        let (reinstated, kept) = subject.reinstate(from: remembered, nowMs: Self.now)
        #expect(reinstated == ["A"] && kept == ["B"])
        #expect(subject.accounts.account(id: "A")?.token.refreshToken == "rt-a1")
        #expect(subject.recovered.entries.map(\.token.refreshToken) == ["rt-b0"])
        #expect(subject.reinstate(from: remembered, nowMs: Self.now) == ([], []), "nothing twice")
        // A peer refreshed A: the newer token stays; the one it replaced is kept (nobody saw it die).
        var refreshed = state([account("A", anonymous("rt-a2", expiry: Self.now + 2 * Self.hour))], active: "A", file: nil)
        #expect(refreshed.reinstate(from: [remembered[0]], nowMs: Self.now) == ([], ["A"]))
        #expect(refreshed.accounts.account(id: "A")?.token.refreshToken == "rt-a2")
        #expect(refreshed.recovered.entries.map(\.reason) == ["superseded"])
        // A token a command set aside on purpose (kept already) is not put back.
        var restored = state([account("A", anonymous("rt-a0", expiry: Self.now))], active: "A", file: nil)
        restored.recovered.keep(.init(accountID: "A", label: nil, reason: "superseded", savedAtMs: Self.now, token: remembered[0].token))
        #expect(restored.reinstate(from: [remembered[0]], nowMs: Self.now) == ([], []))
        #expect(restored.accounts.account(id: "A")?.token.refreshToken == "rt-a0")
    }

    @Test("restore --replace on the active account writes the file too, so the next reconcile does not take the replaced token back")
    func restoreReplaceOnActive() throws {
        var subject = state(
            [account("A", anonymous("rt-a1", expiry: Self.now + Self.hour))], active: "A", file: anonymous("rt-a1", expiry: Self.now + Self.hour))
        subject.recovered.keep(.init(accountID: "A", label: nil, reason: "superseded", savedAtMs: 1, token: anonymous("rt-a0", expiry: Self.now)))
        try subject.restore(accountID: "A", replace: true, nowMs: Self.now)
        #expect(subject.accounts.account(id: "A")?.token.refreshToken == "rt-a0")
        #expect(subject.credentials?.refreshToken == "rt-a0")
        #expect(subject.reconcileCredentialsFile(nowMs: Self.now) == .unchanged(id: "A"))
    }

    @Test("with no active account, a claim-less refresh of the removed account last mirrored is not taken in")
    func removedAccountsRefreshIsOrphan() {
        var subject = state([account("B", anonymous("rt-b0"))], active: nil, file: anonymous("rt-a1", expiry: Self.now + 2 * Self.hour))
        subject.sidecar.ledger.credentialsAccountID = "A"  // A was removed
        #expect(subject.owner(of: subject.credentials!) == .orphan)
        #expect(subject.reconcileCredentialsFile(nowMs: Self.now) == .stale(id: nil))
        #expect(subject.accounts.accounts.map(\.id) == ["B"])
    }

    @Test("an invalid oauth_creds.json with a refresh token is kept before a command writes over it")
    func invalidFileIsKept() async throws {
        try await withTemporaryDirectory { directory in
            let store = CredentialStore(settings: try settings(directory.path))
            try store.transaction { state in
                state.accounts.add(account("A", anonymous("rt-a0")))
                state.activate("A")
            }
            // A peer wrote expiry_date as a string: qwen-code rejects the file, the token may still work.
            let invalid = #"{"access_token":"at-x","token_type":"Bearer","refresh_token":"rt-x","expiry_date":"1795321151953"}"#
            try SecureFile.replace(store.settings.credentialsPath, with: Array(invalid.utf8))
            _ = try store.transaction { state in state.mirrorActiveAccount() }
            let after = try store.read()
            #expect(after.credentials?.refreshToken == "rt-a0")
            let kept = try #require(after.recovered.entries.first { $0.token.refreshToken == "rt-x" })
            #expect(kept.token.expiryDate == 1_795_321_151_953 && kept.reason == "invalid oauth_creds.json written over")
        }
    }
}

/// Collects notices from the store (a `@Sendable` closure's sink).
final class NoticeLog: Sendable {
    private let stored = Mutex<[String]>([])
    func append(_ line: String) { stored.withLock { $0.append(line) } }
    var lines: [String] { stored.withLock { $0 } }
}
