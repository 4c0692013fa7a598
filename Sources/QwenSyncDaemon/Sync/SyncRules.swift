import QwenSyncCore

/// The sync decisions, as a pure function of the files' state: no I/O, fully unit-tested.
///
/// Applied repeatedly they converge: a second application to their own result changes
/// nothing, which is what keeps the daemon's own writes from triggering another round.
public enum SyncRules {
    /// Brings the accounts store and `oauth_creds.json` into agreement.
    ///
    /// - `oauth_creds.json` changed: its account (by identity, else refresh token) is updated
    ///   when the file is fresher, never downgraded; an unknown identity becomes a new account;
    ///   the active account follows the file, unless only the store changed.
    /// - the store changed: its active account is mirrored into `oauth_creds.json`; an active
    ///   account cooling down or invalid gives way to the next healthy one (round-robin).
    /// - `oauth_creds.json` deleted: written again from the active account, unless that
    ///   account's credentials were refused, in which case the next healthy account is used.
    ///
    /// - Parameter previousCredentials: what `oauth_creds.json` held at the last sync, so that a
    ///   client's refresh of a token without identity claims updates its account.
    public static func apply(
        to state: inout CredentialState, trigger: SyncTrigger, nowMs: Int64, previousCredentials: OAuthCredentials? = nil
    ) -> [SyncEvent] {
        var events: [SyncEvent] = []
        let credentialsWereMissing = !state.credentialsFileExists

        if let problem = state.credentialsProblem, state.credentialsFileExists {
            events.append(.credentialsInvalid(problem: problem))
        }

        if let credentials = state.credentials {
            let before = state.accounts.account(matching: credentials)
            let (id, created) = state.adopt(credentials, nowMs: nowMs, previous: previousCredentials)
            if created {
                events.append(.accountAdded(id: id))
            } else if before?.token != state.accounts.account(id: id)?.token {
                events.append(.accountUpdated(id: id))
            }
            let fileFollowsStore = trigger.contains(.accountsChanged) && !trigger.contains(.credentialsChanged)
            let previous = state.accounts.activeAccountID
            let fileAccountHealthy = state.accounts.account(id: id)?.state(nowMs: nowMs) == .healthy
            if previous != id, state.accounts.activeAccount == nil || (!fileFollowsStore && fileAccountHealthy) {
                state.accounts.activeAccountID = id
                events.append(.switched(from: previous, to: id, reason: "oauth_creds.json now holds this account"))
            }
        } else if state.accounts.activeAccount == nil, let first = state.accounts.nextHealthy(after: nil, nowMs: nowMs) {
            state.accounts.activeAccountID = first.id
            events.append(.switched(from: nil, to: first.id, reason: "no account was active"))
        }

        if let active = state.accounts.activeAccount, active.state(nowMs: nowMs) != .healthy {
            let previous = active.id
            if let next = state.switchAwayFromUnhealthyActive(nowMs: nowMs) {
                events.append(.switched(from: previous, to: next, reason: "\(previous) is \(active.state(nowMs: nowMs).rawValue)"))
            } else if active.state(nowMs: nowMs) == .authInvalid {
                events.append(.loginNeeded(reason: "every account is cooling down or invalid, and \(previous)'s credentials were refused"))
                return events
            }
        }

        if state.credentialsProblem != nil, state.credentials == nil, state.credentialsFileExists {
            return events
        }
        if let active = state.accounts.activeAccount, state.mirrorActiveAccount() {
            events.append(credentialsWereMissing ? .restored(id: active.id) : .mirrored(id: active.id))
        } else if credentialsWereMissing, state.accounts.accounts.isEmpty {
            events.append(.loginNeeded(reason: "there are no credentials and no accounts"))
        }
        return events
    }
}
