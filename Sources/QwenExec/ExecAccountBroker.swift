import QwenSyncCore
/// The accounts side of `exec`: which account the `qwen` CLI will use, and what to do when
/// one runs out of quota.
///
/// The CLI always uses whatever `oauth_creds.json` holds, so before every run the broker
/// makes a healthy account active (mirrored into `oauth_creds.json` under the accounts lock,
/// then the token lock, as `docs/INTEROP.md`, "oauth_accounts.json", describes).
public protocol ExecAccountBroker: Sendable {
    /// Makes a healthy account active and returns it. Keeps the current active account when
    /// it is healthy; otherwise switches to the next healthy one.
    ///
    /// - Throws: ``NoHealthyAccountError`` when every account is cooling down, invalid or
    ///   there is none; any other error when the store cannot be read or written.
    func activateHealthyAccount() throws -> ActiveAccount

    /// Marks an account as out of quota: `exhaustedUntil = now + cooldown`,
    /// `lastErrorCode = "insufficient_quota"`.
    ///
    /// - Parameter accountID: the id ``activateHealthyAccount()`` returned.
    /// - Throws: when the store cannot be written.
    func markQuotaExhausted(accountID: String) throws
}

/// The account the CLI is about to use.
public struct ActiveAccount: Sendable, Equatable {
    /// The account id (`acct_…`); never a token.
    public var id: String
    /// The user's label for it, if any.
    public var label: String?

    /// Creates an account reference.
    public init(id: String, label: String? = nil) {
        self.id = id
        self.label = label
    }
}

/// No account can serve a request now, and what the user can do about it.
public struct NoHealthyAccountError: Error, Sendable, Equatable, CustomStringConvertible {
    /// How many accounts the store holds.
    public var accountCount: Int
    /// When the first quota cooldown ends (epoch ms), or `nil` when no account cools down
    /// after a quota error (waiting does not help).
    public var earliestCooldownEndMs: Int64?
    /// The accounts whose login the server refused (`auth_invalid`): they need a new login.
    public var refusedAccountIDs: [String]

    /// Creates the error.
    public init(accountCount: Int, earliestCooldownEndMs: Int64?, refusedAccountIDs: [String]) {
        self.accountCount = accountCount
        self.earliestCooldownEndMs = earliestCooldownEndMs
        self.refusedAccountIDs = refusedAccountIDs
    }

    /// One line that says whether to wait for a cooldown or to log in again.
    public var description: String {
        guard accountCount > 0 else {
            return "no account and no usable oauth_creds.json: run `qwen-sync login`"
        }
        let relogin =
            refusedAccountIDs.isEmpty
            ? nil
            : "run "
                + refusedAccountIDs.prefix(3)
                .map { "`qwen-sync login --account \($0)`" }.joined(separator: ", ")
                + (refusedAccountIDs.count > 3 ? " (and \(refusedAccountIDs.count - 3) more)" : "")
        let wait = earliestCooldownEndMs.map { "wait until \(UTCTimestamp.iso8601(ms: $0)) (\($0) ms), when the first quota cooldown ends" }
        switch (relogin, wait) {
        case (let relogin?, nil) where refusedAccountIDs.count == accountCount:
            return "the server refused every account's login (\(accountCount)): \(relogin)"
        case (let relogin?, let wait?):
            let cooling = accountCount - refusedAccountIDs.count
            return "no healthy account: \(refusedAccountIDs.count) refused by the server (\(relogin)), "
                + "\(cooling) cooling down after quota errors (or \(wait))"
        case (nil, let wait?):
            return "all \(accountCount) account\(accountCount == 1 ? " is" : "s are") cooling down after quota errors: \(wait)"
        case (let relogin?, nil):
            return "no healthy account: \(refusedAccountIDs.count) refused by the server: \(relogin)"
        case (nil, nil):
            return "no healthy account among \(accountCount)"
        }
    }
}
