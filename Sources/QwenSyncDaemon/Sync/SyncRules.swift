import QwenSyncCore

/// The sync decisions, as a pure function of the files' state: no I/O, fully unit-tested.
///
/// Applied repeatedly they converge: a second application to their own result changes
/// nothing, which is what keeps the daemon's own writes from triggering another round.
public enum SyncRules {
    /// Brings the accounts store and `oauth_creds.json` into agreement.
    ///
    /// - `oauth_creds.json` changed: its tokens are taken in by lineage
    ///   (``CredentialState/reconcileCredentialsFile(nowMs:)``): a peer's refresh updates its
    ///   account, never a downgrade; a login the store does not know becomes an account; a
    ///   dead or older token is written over. The active account follows the file, unless
    ///   only the store changed.
    /// - the store changed: its active account is mirrored into `oauth_creds.json`; an active
    ///   account cooling down or invalid gives way to the next healthy one (round-robin).
    /// - `oauth_creds.json` deleted: written again from the active account, unless that
    ///   account's credentials were refused, in which case the next healthy account is used.
    ///
    /// - Parameter remembered: the store as this daemon last saw it: what a peer's wholesale
    ///   rewrite lost is put back or kept (``CredentialState/reinstate(from:nowMs:)``).
    public static func apply(to state: inout CredentialState, trigger: SyncTrigger, nowMs: Int64, remembered: [StoredAccount] = []) -> [SyncEvent] {
        var events: [SyncEvent] = []
        let credentialsWereMissing = !state.credentialsFileExists
        let (reinstated, kept) = state.reinstate(from: remembered, nowMs: nowMs)
        events += reinstated.map { .reinstated(id: $0) } + kept.map { .keptRemoved(id: $0) }

        if let problem = state.credentialsProblem, state.credentialsFileExists {
            events.append(.credentialsInvalid(problem: problem))
        }

        let fileAccount: String?
        switch state.reconcileCredentialsFile(nowMs: nowMs) {
        case .added(let id):
            events.append(.accountAdded(id: id))
            fileAccount = id
        case .updated(let id):
            events.append(.accountUpdated(id: id))
            fileAccount = id
        case .unchanged(let id):
            fileAccount = id
        case .stale(let id):
            events.append(.staleCredentials(id: id))
            fileAccount = nil
        }
        if let id = fileAccount {
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
                if state.accounts.nextHealthy(after: previous, nowMs: nowMs) != nil {
                    // Healthy accounts remain, so the refusal kept it active: it may be the configuration's.
                    events.append(.refusedUnderConfiguration(id: previous))
                } else {
                    events.append(.loginNeeded(reason: "every account is cooling down or invalid, and \(previous)'s credentials were refused"))
                }
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
