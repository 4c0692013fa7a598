import QwenDoctor
import QwenSyncCore

extension Settings {
    /// The credential store a command changes the files through: whenever a transaction keeps
    /// a refresh token in `qwen-sync-recovered.json`, the user is told on stderr and the
    /// journal records it.
    var commandStore: CredentialStore {
        var store = CredentialStore(settings: self)
        store.notice = { message in
            printError("qwen-sync: \(message)")
            AuditTrail.record(.keep, account: nil, message)
        }
        return store
    }

    /// ``commandStore`` for a command that will write, once the probe has shown that the lock
    /// files can be created and the stores written: check before you spend (a device login,
    /// a refresh token, the user's time).
    ///
    /// - Parameter action: what would be spent, for the message (`the device login`).
    /// - Throws: ``CommandFailure`` naming the directory, the files and the fix.
    func writingStore(before action: String) throws(CommandFailure) -> CredentialStore {
        if let problem = WritabilityProbe(settings: self).run().first {
            throw CommandFailure("\(problem); \(action) was not started. Fix: \(problem.fix)")
        }
        return commandStore
    }
}

extension CredentialStore {
    /// The current state; when `oauth_creds.json` holds a login the store does not know
    /// (qwen-code alone wrote it), it is taken in first (and made active when no account is),
    /// so a command has an account to refresh or read.
    func readAdoptingLogin() throws -> CredentialState {
        var state = try CommandFailure.wrap { try read() }
        guard case .added = state.reconcileCredentialsFile(nowMs: WallClock.nowMs()) else { return state }
        return try CommandFailure.wrap {
            try transaction { state in
                if state.accounts.activeAccount == nil, let id = state.reconcileCredentialsFile(nowMs: WallClock.nowMs()).accountID {
                    state.accounts.activeAccountID = id
                }
                return state
            }
        }
    }
}
