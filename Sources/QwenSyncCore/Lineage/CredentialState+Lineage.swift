/// Who a set of tokens belongs to, by the rule in README.md ("Which account a token belongs to").
public enum TokenOwner: Sendable, Equatable {
    /// An account in the store; `fate` is what the ledger knows of this very token.
    case account(id: String, fate: TokenFate?)
    /// A login the store does not know: its identity claims name nobody in the store, or there
    /// is no account it could be a refresh of.
    case newAccount
    /// A token of an account that was removed (kept in `qwen-sync-recovered.json` unless dead):
    /// not taken in again behind the user's back; `accounts restore` brings it back.
    case orphan
}

/// What reconciling `oauth_creds.json` with the store did.
public enum CredentialsAdoption: Sendable, Equatable {
    /// Nothing to do: no usable file, or it holds what its account already has.
    case unchanged(id: String?)
    /// The file held a newer token of `id` (a peer refreshed it): stored for that account.
    case updated(id: String)
    /// The file held a login the store did not know: added as account `id`.
    case added(id: String)
    /// The file held a dead or older token of `id` (or of a removed account): not adopted;
    /// the next mirror writes the account's current token over it.
    case stale(id: String?)

    /// The account the file's tokens now belong to (`nil` for no file or a stale one).
    public var accountID: String? {
        switch self {
        case .unchanged(let id): id
        case .updated(let id), .added(let id): id
        case .stale: nil
        }
    }
}

extension CredentialState {
    /// Which account `credentials` belong to:
    /// 1. a token the ledger has seen belongs to the account it was seen with (or to nobody
    ///    when that account was removed);
    /// 2. identity claims (`sub`, `email`, …) or an identical token name the account;
    /// 3. claims that name nobody in the store are a new login;
    /// 4. a token without claims is a refresh of the account mirrored into `oauth_creds.json`:
    ///    the active account, else the one qwen-sync last saw there (a removed one's refresh is
    ///    not taken in);
    /// 5. only with no such account is it a new login.
    public func owner(of credentials: OAuthCredentials) -> TokenOwner {
        if let entry = sidecar.ledger.entry(for: credentials.refreshToken) {
            return accounts.account(id: entry.accountID) != nil ? .account(id: entry.accountID, fate: entry.fate) : .orphan
        }
        if let match = accounts.account(matching: credentials) { return .account(id: match.id, fate: nil) }
        if AccountIdentity.key(forAccessToken: credentials.accessToken) != nil { return .newAccount }
        if let active = accounts.activeAccount { return .account(id: active.id, fate: nil) }
        guard let lastSeen = sidecar.ledger.credentialsAccountID else { return .newAccount }
        // A refresh of the account last mirrored there, which was removed since: not taken in.
        return accounts.account(id: lastSeen) != nil ? .account(id: lastSeen, fate: nil) : .orphan
    }

    /// Takes what `oauth_creds.json` holds into the store, by lineage: a peer's refresh
    /// updates its account (never a downgrade), an unknown login becomes an account, a dead
    /// or older token is left to be overwritten. Every ``CredentialStore`` transaction does
    /// this first, so no command can write over a login it has not taken in.
    ///
    /// The first call's outcome is remembered; later calls return it.
    @discardableResult
    public mutating func reconcileCredentialsFile(nowMs: Int64) -> CredentialsAdoption {
        if let done = credentialsAdoption { return done }
        let outcome = adoptCredentialsFile(nowMs: nowMs)
        credentialsAdoption = outcome
        return outcome
    }

    private mutating func adoptCredentialsFile(nowMs: Int64) -> CredentialsAdoption {
        guard let credentials else { return .unchanged(id: nil) }
        switch owner(of: credentials) {
        case .orphan:
            return .stale(id: nil)
        case .newAccount:
            let account = StoredAccount(id: StoredAccount.makeID(nowMs: nowMs), token: credentials, nowMs: nowMs)
            accounts.add(account)
            recovered.forget(refreshToken: credentials.refreshToken)
            return .added(id: account.id)
        case .account(let id, let fate):
            guard fate?.isDead != true, let existing = accounts.account(id: id) else { return .stale(id: id) }
            if existing.token.sameTokens(as: credentials) { return .unchanged(id: id) }
            let fresher =
                credentials.expiryDate > existing.token.expiryDate
                || (credentials.expiryDate == existing.token.expiryDate && credentials.refreshToken != existing.token.refreshToken)
            guard fresher else { return .stale(id: id) }
            accounts.update(id: id) { $0.setToken(credentials, nowMs: nowMs) }
            recovered.forget(refreshToken: credentials.refreshToken)
            return .updated(id: id)
        }
    }

    /// Brings the ledger up to date with this state and keeps every refresh token that this
    /// transaction took out of the files without knowing it dead (`before` is the state as
    /// read). Called by ``CredentialStore`` just before writing.
    ///
    /// - Returns: the tokens kept in `qwen-sync-recovered.json` by this call.
    mutating func recordLineage(since before: CredentialState, nowMs: Int64) -> [RecoveredTokens.Entry] {
        for account in accounts.accounts {
            sidecar.ledger.record(account.token.refreshToken, of: account.id, fate: .current, nowMs: nowMs)
        }
        if let credentials, let holder = accounts.accounts.first(where: { $0.token.refreshToken == credentials.refreshToken }) {
            sidecar.ledger.credentialsAccountID = holder.id
        }
        let stored = Set(accounts.accounts.map(\.token.refreshToken))
        var remaining = stored
        if let credentials { remaining.insert(credentials.refreshToken) }
        var kept: [RecoveredTokens.Entry] = []
        func keep(_ token: OAuthCredentials, of accountID: String, reason: String, storeEntry: JSONObject? = nil) {
            // A removed account is kept for undo even while oauth_creds.json still holds its token.
            let inUse = storeEntry == nil ? remaining : stored
            guard !inUse.contains(token.refreshToken), !sidecar.ledger.isDead(token.refreshToken),
                !recovered.contains(refreshToken: token.refreshToken)
            else { return }
            let entry = RecoveredTokens.Entry(
                accountID: accountID, label: before.sidecar.label(of: accountID), reason: reason, savedAtMs: nowMs,
                token: token, storeEntry: storeEntry
            )
            recovered.keep(entry)
            kept.append(entry)
        }
        for account in before.accounts.accounts {
            let removed = accounts.account(id: account.id) == nil
            keep(account.token, of: account.id, reason: removed ? "removed" : "superseded", storeEntry: removed ? account.raw : nil)
        }
        if let old = before.credentials {
            let ownerID: String
            switch before.owner(of: old) {
            case .account(let id, _): ownerID = id
            case .orphan: ownerID = before.sidecar.ledger.entry(for: old.refreshToken)?.accountID ?? before.sidecar.ledger.credentialsAccountID ?? "unknown"
            case .newAccount: ownerID = "unknown"
            }
            keep(old, of: ownerID, reason: "displaced")
        }
        for entry in recovered.entries where sidecar.ledger.isDead(entry.token.refreshToken) || stored.contains(entry.token.refreshToken) {
            recovered.forget(refreshToken: entry.token.refreshToken)
        }
        sidecar.ledger.prune(keeping: Set(accounts.accounts.map(\.id)), nowMs: nowMs)
        return kept
    }

    /// Keeps the tokens of an invalid `oauth_creds.json` that is about to be written over, unless
    /// the store holds them or they are known dead.
    ///
    /// - Returns: the entry kept, if any.
    mutating func keepWrittenOver(_ salvaged: OAuthCredentials, nowMs: Int64) -> RecoveredTokens.Entry? {
        let token = salvaged.refreshToken
        guard !sidecar.ledger.isDead(token), !recovered.contains(refreshToken: token),
            !accounts.accounts.contains(where: { $0.token.refreshToken == token })
        else { return nil }
        let owner = sidecar.ledger.entry(for: token)?.accountID ?? accounts.activeAccountID ?? "unknown"
        let entry = RecoveredTokens.Entry(
            accountID: owner, label: sidecar.label(of: owner), reason: "invalid oauth_creds.json written over", savedAtMs: nowMs, token: salvaged
        )
        recovered.keep(entry)
        return entry
    }

    /// Tokens that may be newer than `refused` for `accountID` and are not known dead: what
    /// `oauth_creds.json` holds, if it belongs to the account, and the tokens kept for it in
    /// `qwen-sync-recovered.json` that expire later. Tried before an account is marked
    /// `auth_invalid`.
    public func candidateTokens(for accountID: String, newerThan refused: OAuthCredentials, onDisk: OAuthCredentials?) -> [OAuthCredentials] {
        var candidates: [OAuthCredentials] = []
        if let onDisk, case .account(accountID, let fate) = owner(of: onDisk), fate?.isDead != true {
            candidates.append(onDisk)
        }
        candidates += recovered.entries
            .filter { $0.accountID == accountID && $0.token.expiryDate > refused.expiryDate }
            .sorted { $0.token.expiryDate > $1.token.expiryDate }
            .map(\.token)
        var seen: Set<String> = [refused.refreshToken]
        return candidates.filter { !sidecar.ledger.isDead($0.refreshToken) && seen.insert($0.refreshToken).inserted }
    }
}

extension CredentialState {
    /// Puts back what a peer's wholesale rewrite of the store lost, from `remembered` (the
    /// daemon's last view of the store): an account whose stored token the ledger knows dead
    /// gets its remembered live token back when that is newer; an account that disappeared has
    /// its token kept in `qwen-sync-recovered.json`. Peers do both: the plugin's older versions
    /// write their stale copy of the store back, and its normalizer drops entries.
    ///
    /// - Returns: the accounts whose tokens were put back, and those whose tokens were kept.
    public mutating func reinstate(from remembered: [StoredAccount], nowMs: Int64) -> (reinstated: [String], kept: [String]) {
        var reinstated: [String] = []
        var kept: [String] = []
        let stored = Set(accounts.accounts.map(\.token.refreshToken))
        // A token already kept was set aside by a command on purpose (remove, restore, login
        // --account): not put back.
        for old in remembered
        where !sidecar.ledger.isDead(old.token.refreshToken) && !stored.contains(old.token.refreshToken)
            && !recovered.contains(refreshToken: old.token.refreshToken)
        {
            if let current = accounts.account(id: old.id) {
                // The store went back to a dead or older token: put the remembered live one back.
                if sidecar.ledger.isDead(current.token.refreshToken) || old.token.expiryDate > current.token.expiryDate {
                    accounts.update(id: old.id) { $0.setToken(old.token, nowMs: nowMs) }
                    reinstated.append(old.id)
                } else if credentials?.refreshToken != old.token.refreshToken {
                    // A newer token replaced it: probably its refresh, but nobody saw this one die.
                    recovered.keep(
                        .init(
                            accountID: old.id, label: sidecar.label(of: old.id), reason: "superseded", savedAtMs: nowMs, token: old.token
                        ))
                    kept.append(old.id)
                }
            } else {
                recovered.keep(
                    .init(
                        accountID: old.id, label: sidecar.label(of: old.id), reason: "removed by another process", savedAtMs: nowMs,
                        token: old.token, storeEntry: old.raw
                    ))
                kept.append(old.id)
            }
        }
        if !reinstated.isEmpty { credentialsAdoption = nil }  // judge oauth_creds.json again against the store put back
        return (reinstated, kept)
    }
}
