import QwenSyncCore

/// Refreshes one account's tokens under the shared locks, the way every qwen client should.
///
/// Inside one ``CredentialStore`` transaction (accounts lock, then creds lock):
/// 1. re-read; fresher tokens another process left in `oauth_creds.json` are adopted first;
/// 2. skip the network when the ``RefreshPolicy`` says another process already refreshed;
/// 3. call the token endpoint once; a rotated refresh token is stored before anything else,
///    a missing one keeps the old;
/// 4. on a terminal refusal, re-read once more: if a peer rotated the token meanwhile, retry
///    with the newest one; only if that is refused too is the account marked `auth_invalid`
///    (with the cooldown) and, if it was active, the next healthy account mirrored instead.
///    `oauth_creds.json` is never deleted.
///
/// If the write-back must be retried (a conflict), the grant already obtained is reused: the
/// network is never asked twice for the same refresh token.
public struct AccountRefresher: Sendable {
    /// The files.
    public let store: CredentialStore
    /// The OAuth server.
    public let client: OAuthClient

    /// A refresher over `store` talking to `client`.
    public init(store: CredentialStore, client: OAuthClient) {
        self.store = store
        self.client = client
    }

    /// Refreshes `accountID` if `policy` says it is still needed.
    ///
    /// - Throws: ``StoreError`` when the files cannot be locked, read or written. A rotated
    ///   token that could not be written is reported in the error; the server side is then
    ///   already rotated (this is why writes are atomic and retried on conflict).
    public func refresh(accountID: String, policy: RefreshPolicy) throws(StoreError) -> RefreshOutcome {
        var obtained: (refreshToken: String, result: Result<TokenGrant, RefreshError>)?
        return try store.transaction { state in
            let nowMs = WallClock.nowMs()
            if let credentials = state.credentials, state.accounts.account(matching: credentials)?.id == accountID {
                state.adopt(credentials, nowMs: nowMs)
            }
            guard let account = state.accounts.account(id: accountID) else { return .notFound(reference: accountID) }
            if obtained == nil {
                switch policy {
                case .ifExpiringWithin(let lead) where account.token.expiryDate - nowMs > lead:
                    return .alreadyFresh(accountID: accountID, expiresAtMs: account.token.expiryDate)
                case .unlessRotatedSince(let seen) where account.token.refreshToken != seen:
                    return .alreadyFresh(accountID: accountID, expiresAtMs: account.token.expiryDate)
                default: break
                }
            }
            let token = account.token
            if obtained?.refreshToken != token.refreshToken {
                obtained = (token.refreshToken, request(token.refreshToken))
            }
            if case .failure(let error) = obtained!.result, error.isTerminal,
                let newer = newerTokenFromPeers(for: accountID, than: token, state: state)
            {
                state.adopt(newer, nowMs: nowMs)
                obtained = (newer.refreshToken, request(newer.refreshToken))
            }
            return apply(obtained!.result, to: &state, accountID: accountID, nowMs: nowMs)
        }
    }

    private func request(_ refreshToken: String) -> Result<TokenGrant, RefreshError> {
        do { return .success(try client.refresh(refreshToken: refreshToken)) } catch { return .failure(error) }
    }

    /// Credentials for the same account that a peer wrote without the lock (qwen-code does
    /// unlocked reads, and a lost lock lets others write), with a different refresh token.
    private func newerTokenFromPeers(for accountID: String, than token: OAuthCredentials, state: CredentialState) -> OAuthCredentials? {
        guard let onDisk = CredentialsFile.read(store.settings.credentialsPath).credentials,
            onDisk.refreshToken != token.refreshToken,
            state.accounts.account(matching: onDisk)?.id == accountID
        else { return nil }
        return onDisk
    }

    private func apply(_ result: Result<TokenGrant, RefreshError>, to state: inout CredentialState, accountID: String, nowMs: Int64) -> RefreshOutcome {
        guard let account = state.accounts.account(id: accountID) else { return .notFound(reference: accountID) }
        let outcome: RefreshOutcome
        switch result {
        case .success(let grant):
            let previous = account.token
            let renewed = OAuthCredentials(
                accessToken: grant.accessToken,
                refreshToken: grant.refreshToken ?? previous.refreshToken,
                tokenType: grant.tokenType,
                expiryDate: grant.expiryDate(nowMilliseconds: nowMs),
                resourceURL: grant.resourceURL ?? previous.resourceURL,
                idToken: grant.idToken ?? previous.idToken
            )
            state.accounts.update(id: accountID) { stored in
                stored.setToken(renewed, nowMs: nowMs)
                if stored.lastErrorCode == AccountErrorCode.authInvalid { stored.resetHealth(nowMs: nowMs) }
            }
            if state.accounts.activeAccountID == accountID { state.mirrorActiveAccount() }
            outcome = .refreshed(accountID: accountID, expiresAtMs: renewed.expiryDate)
        case .failure(.transient(let reason, let retryAfter)):
            outcome = .transientFailure(
                accountID: accountID, reason: reason,
                retryAfterMs: retryAfter.map { $0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000 }
            )
        case .failure(.terminal(let reason)):
            state.accounts.update(id: accountID) {
                $0.markExhausted(until: nowMs + store.settings.quotaCooldownMs, code: AccountErrorCode.authInvalid, nowMs: nowMs)
            }
            var switched: String?
            if state.accounts.activeAccountID == accountID {
                switched = state.switchAwayFromUnhealthyActive(nowMs: nowMs)
            }
            outcome = .invalidated(accountID: accountID, reason: reason, switchedTo: switched)
        }
        state.sidecar.notes[accountID, default: .init()].lastRefreshAtMs = nowMs
        state.sidecar.notes[accountID, default: .init()].lastRefreshResult = outcome.resultText
        return outcome
    }
}
