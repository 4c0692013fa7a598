/// The accounts side of `exec`: which account the `qwen` CLI will use, and what to do when
/// one runs out of quota.
///
/// The CLI always uses whatever `oauth_creds.json` holds, so before every run the broker
/// makes a healthy account active (mirrored into `oauth_creds.json` under the accounts lock,
/// then the token lock, as INTEROP.md §3 describes).
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

/// No account can serve a request now.
public struct NoHealthyAccountError: Error, Sendable, Equatable, CustomStringConvertible {
    /// When the first cooldown ends (epoch ms), or `nil` when no account can recover by waiting
    /// (there are none, or all need a new login).
    public var earliestCooldownEndMs: Int64?
    /// A short reason, such as "all 3 accounts are cooling down".
    public var reason: String

    /// Creates the error.
    public init(earliestCooldownEndMs: Int64?, reason: String) {
        self.earliestCooldownEndMs = earliestCooldownEndMs
        self.reason = reason
    }

    public var description: String { reason }
}
