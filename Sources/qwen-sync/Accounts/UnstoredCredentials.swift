import QwenSyncCore

extension CredentialState {
    /// Adopts the tokens in `oauth_creds.json` into the store when no account holds them, so a
    /// command that rewrites that file (`use`, `remove`) never destroys the last copy of a login.
    ///
    /// Tokens without identity claims are attributed to the active account (the one mirrored
    /// into the file, which a client refreshed), as ``adopt(_:nowMs:previous:)`` decides.
    ///
    /// - Returns: the id of an account created for them, or `nil` when none was created.
    @discardableResult
    mutating func adoptUnstoredCredentials(nowMs: Int64) -> String? {
        guard let credentials, accounts.account(matching: credentials) == nil else { return nil }
        let outcome = adopt(credentials, nowMs: nowMs, previous: accounts.activeAccount?.token)
        return outcome.created ? outcome.id : nil
    }
}

/// Prints one JSON document on standard output.
func printJSON(_ document: JSONValue) {
    print(document.serialized(.pretty))
}
