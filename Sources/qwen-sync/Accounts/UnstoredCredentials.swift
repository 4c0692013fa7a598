import QwenSyncCore

extension CredentialState {
    /// Adopts the tokens in `oauth_creds.json` into the store when no account holds them, so a
    /// command that rewrites that file (`use`, `remove`) never destroys the last copy of a login.
    ///
    /// Every transaction does this first, by lineage (``reconcileCredentialsFile(nowMs:)``):
    /// tokens without identity claims are a refresh of the account mirrored into the file.
    ///
    /// - Returns: the id of an account created for them, or `nil` when none was created.
    @discardableResult
    mutating func adoptUnstoredCredentials(nowMs: Int64) -> String? {
        if case .added(let id) = reconcileCredentialsFile(nowMs: nowMs) { return id }
        return nil
    }
}
