/// Why a kept token could not be restored.
public enum RestoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Nothing is kept for that account.
    case nothingKept(accountID: String)
    /// The account exists; restoring would replace its current tokens.
    case accountExists(accountID: String)

    public var description: String {
        switch self {
        case .nothingKept(let id): "no token of \(id) is kept in qwen-sync-recovered.json (`qwen-sync accounts restore` lists what is)"
        case .accountExists(let id): "\(id) exists; `--replace` puts the kept token in place of its current one (which is kept in turn)"
        }
    }
}

extension CredentialState {
    /// Puts the newest token kept for `accountID` back into the store: a removed account
    /// returns as it was (id, label, fields); an existing one gets the kept token only with
    /// `replace`, its current token then being kept in turn. The account's health is reset
    /// (the user vouches for the token); the server has the last word at the next refresh.
    ///
    /// - Throws: ``RestoreError``.
    public mutating func restore(accountID: String, replace: Bool, nowMs: Int64) throws(RestoreError) {
        let exists = accounts.account(id: accountID) != nil
        if exists && !replace { throw .accountExists(accountID: accountID) }
        guard let entry = recovered.take(accountID: accountID) else { throw .nothingKept(accountID: accountID) }
        if exists {
            accounts.update(id: accountID) { $0.setToken(entry.token, nowMs: nowMs) }
            // The current token, displaced, is kept by the transaction; an active account's file
            // must follow, or the next reconcile would take the current token back in.
            if accounts.activeAccountID == accountID { mirrorActiveAccount() }
        } else {
            var account = entry.storeEntry.flatMap { try? StoredAccount(raw: $0) } ?? StoredAccount(id: accountID, token: entry.token, nowMs: nowMs)
            account.setToken(entry.token, nowMs: nowMs)
            accounts.add(account)
            if let label = entry.label, sidecar.label(of: accountID) == nil, labelConflict(label, for: accountID) == nil {
                sidecar.notes[accountID, default: .init()].label = label
            }
        }
        accounts.update(id: accountID) { $0.resetHealth(nowMs: nowMs) }
        if accounts.activeAccount == nil { activate(accountID) }
    }
}
