extension CredentialState {
    /// Makes `id` active and mirrors its token into `oauth_creds.json`.
    ///
    /// - Returns: `false` when there is no such account.
    @discardableResult
    public mutating func activate(_ id: String) -> Bool {
        guard accounts.account(id: id) != nil else { return false }
        accounts.activeAccountID = id
        mirrorActiveAccount()
        return true
    }

    /// Writes the active account's token into `oauth_creds.json` when the file differs.
    ///
    /// - Returns: whether the credentials changed.
    @discardableResult
    public mutating func mirrorActiveAccount() -> Bool {
        guard let account = accounts.activeAccount else { return false }
        if let current = credentials, current.sameTokens(as: account.token) { return false }
        credentials = account.token
        return true
    }

    /// Adds freshly issued `credentials` (a login) as an account, or updates the account with
    /// the same identity when they are fresher (a later expiry); never downgrades. Tokens of
    /// unknown origin found in `oauth_creds.json` go through
    /// ``reconcileCredentialsFile(nowMs:)`` instead, which follows their lineage.
    ///
    /// - Returns: the account id, and whether it was created.
    @discardableResult
    public mutating func adopt(_ credentials: OAuthCredentials, nowMs: Int64) -> (id: String, created: Bool) {
        if let existing = accounts.account(matching: credentials) {
            if credentials.expiryDate > existing.token.expiryDate
                || (credentials.expiryDate == existing.token.expiryDate && !credentials.sameTokens(as: existing.token))
            {
                accounts.update(id: existing.id) { $0.setToken(credentials, nowMs: nowMs) }
            }
            return (existing.id, false)
        }
        let account = StoredAccount(id: StoredAccount.makeID(nowMs: nowMs), token: credentials, nowMs: nowMs)
        accounts.add(account)
        return (account.id, true)
    }

    /// When the active account is missing or unhealthy, makes the next healthy account
    /// (round-robin after it) active and mirrors it.
    ///
    /// An active account refused in a way that may be the configuration's fault
    /// (``RefusalEvidence/concernsToken``) stays active: another account would fail the same way.
    ///
    /// - Returns: the newly active account id, or `nil` when nothing changed (already healthy,
    ///   refused for a reason not its own, or no healthy account left).
    @discardableResult
    public mutating func switchAwayFromUnhealthyActive(nowMs: Int64) -> String? {
        if let active = accounts.activeAccount, active.state(nowMs: nowMs) == .healthy { return nil }
        if let active = accounts.activeAccount, active.state(nowMs: nowMs) == .authInvalid,
            sidecar.ledger.refusal(of: active.token.refreshToken)?.evidence?.concernsToken == false
        {
            return nil
        }
        guard let next = accounts.nextHealthy(after: accounts.activeAccountID, nowMs: nowMs) else { return nil }
        activate(next.id)
        return next.id
    }
}
