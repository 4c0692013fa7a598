import QwenSyncCore

/// The accounts broker over the real files: `oauth_accounts.json` and `oauth_creds.json`,
/// changed only inside ``CredentialStore`` transactions (both locks, compare-and-swap).
///
/// With no accounts store yet, the current `oauth_creds.json` is adopted as the first account,
/// so `exec` works for a user who only ever ran `qwen` itself.
public struct StoreAccountBroker: ExecAccountBroker {
    /// The files.
    public let store: CredentialStore

    /// A broker over `store`.
    public init(store: CredentialStore) { self.store = store }

    public func activateHealthyAccount() throws -> ActiveAccount {
        let outcome: Result<ActiveAccount, NoHealthyAccountError> = try store.transaction { state in
            let nowMs = WallClock.nowMs()
            // Clients write oauth_creds.json too (a refresh rotates both tokens, a login brings
            // another account): the transaction took the file in by lineage; follow it while
            // its account can serve, as the daemon does.
            if let fileAccount = state.reconcileCredentialsFile(nowMs: nowMs).accountID,
                state.accounts.activeAccount == nil || state.accounts.account(id: fileAccount)?.state(nowMs: nowMs) == .healthy
            {
                state.accounts.activeAccountID = fileAccount
            }
            state.switchAwayFromUnhealthyActive(nowMs: nowMs)
            guard let active = state.accounts.activeAccount, active.state(nowMs: nowMs) == .healthy else {
                let accounts = state.accounts.accounts
                let cooling = accounts.filter { $0.state(nowMs: nowMs) == .cooldown }
                return .failure(
                    NoHealthyAccountError(
                        accountCount: accounts.count,
                        earliestCooldownEndMs: cooling.map(\.exhaustedUntil).min(),
                        refusedAccountIDs: accounts.filter { $0.state(nowMs: nowMs) == .authInvalid }.map(\.id)
                    ))
            }
            state.mirrorActiveAccount()
            return .success(ActiveAccount(id: active.id, label: state.sidecar.label(of: active.id)))
        }
        return try outcome.get()
    }

    public func markQuotaExhausted(accountID: String) throws {
        let cooldown = store.settings.quotaCooldown.inMilliseconds
        try store.transaction { state in
            let nowMs = WallClock.nowMs()
            state.accounts.update(id: accountID) {
                $0.markExhausted(until: nowMs + cooldown, code: AccountErrorCode.insufficientQuota, nowMs: nowMs)
            }
        }
    }
}
