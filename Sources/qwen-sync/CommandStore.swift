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
}
