import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// The CLI never overwrites or removes the last copy of a refresh token, with tokens that carry
/// no identity claims (the normal case): what it displaces is kept and can be restored.
@Suite("qwen-sync accounts: claim-less tokens are never lost (CLI)")
struct CLIRecoveryTests {
    /// Alice (active, mirrored) and Bob, both claim-less, written through the store.
    private func claimlessAccounts(_ qwenDir: String) throws -> CredentialStore {
        let store = CredentialStore(settings: try settings(qwenDir))
        try store.transaction { state in
            state.accounts.add(StoredAccount(id: "acct_alice", token: TestTokens.credentials(access: "at-a0", refresh: "rt-a0", expiry: 1_000), nowMs: 1))
            state.accounts.add(StoredAccount(id: "acct_bob", token: TestTokens.credentials(access: "at-b0", refresh: "rt-b0"), nowMs: 1))
            state.activate("acct_alice")
            state.sidecar.notes["acct_bob"] = .init(label: "bob")
        }
        return store
    }

    @Test("`use` after a peer refreshed the active claim-less account: the peer's token becomes the account's, the old one is kept")
    func useAfterPeerRefresh() async throws {
        try await withTemporaryDirectory { directory in
            let qwenDir = directory.appending("qwen")
            let store = try claimlessAccounts(qwenDir)
            // qwen-code refreshed alice: it wrote only oauth_creds.json.
            try CredentialsFile.write(TestTokens.credentials(access: "at-a1", refresh: "rt-a1"), to: store.settings.credentialsPath)
            let use = try await CLIAccountsTests.accounts(qwenDir, ["use", "bob"])
            #expect(use.exitCode == 0, "\(use.standardError)")
            #expect(use.standardError.contains("kept a refresh token of acct_alice (superseded)"), "\(use.standardError)")
            #expect(!use.standardError.contains("rt-") && !use.standardOutput.contains("rt-"))
            let state = try store.read()
            #expect(state.accounts.accounts.map(\.id) == ["acct_alice", "acct_bob"], "no account added")
            #expect(state.accounts.account(id: "acct_alice")?.token.refreshToken == "rt-a1")
            #expect(state.credentials?.refreshToken == "rt-b0")
            #expect(state.recovered.contains(refreshToken: "rt-a0"))
        }
    }

    @Test("`remove` keeps the removed account; `restore` lists it and brings it back with its id and label")
    func removeThenRestore() async throws {
        try await withTemporaryDirectory { directory in
            let qwenDir = directory.appending("qwen")
            let store = try claimlessAccounts(qwenDir)
            let remove = try await CLIAccountsTests.accounts(qwenDir, ["remove", "--yes", "bob"])
            #expect(remove.exitCode == 0, "\(remove.standardError)")
            #expect(remove.standardOutput.contains("undo: qwen-sync accounts restore acct_bob"))
            #expect(FileTools.mode(store.settings.recoveredPath) == 0o600)

            let list = try await CLIAccountsTests.accounts(qwenDir, ["restore", "--json"])
            #expect(list.exitCode == 0, "\(list.standardError)")
            let entries = try #require(try JSON.parse(list.standardOutput).arrayValue)
            #expect(entries.count == 1 && entries[0].objectValue?["account"] == "acct_bob" && entries[0].objectValue?["reason"] == "removed")
            #expect(!list.standardOutput.contains("rt-"), "the listing never shows a token")

            let restore = try await CLIAccountsTests.accounts(qwenDir, ["restore", "acct_bob"])
            #expect(restore.exitCode == 0, "\(restore.standardError)")
            let state = try store.read()
            #expect(state.accounts.account(id: "acct_bob")?.token.refreshToken == "rt-b0")
            #expect(state.sidecar.label(of: "acct_bob") == "bob")
            #expect(state.recovered.entries.isEmpty)

            let again = try await CLIAccountsTests.accounts(qwenDir, ["restore", "acct_bob"])
            #expect(again.exitCode == 1)
            #expect(again.standardError.contains("acct_bob exists"), "\(again.standardError)")
        }
    }
}
