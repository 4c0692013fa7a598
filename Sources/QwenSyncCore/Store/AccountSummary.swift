/// What `accounts list` and `status` show about one account; never a token.
public struct AccountSummary: Sendable {
    public let id: String
    public let label: String?
    /// The identity as every command shows it (`j…n@example.com`), `nil` when unknown.
    public let identity: String?
    public let active: Bool
    public let state: AccountState
    public let cooldownUntilMs: Int64?
    public let expiresAtMs: Int64
    public let lastRefreshAtMs: Int64?
    public let lastRefreshResult: String?
    /// When the daemon plans the next refresh (status only).
    public var nextRefreshAtMs: Int64?

    /// The summary of `account` within `state` at `nowMs`.
    public init(_ account: StoredAccount, in state: CredentialState, nowMs: Int64) {
        id = account.id
        label = state.displayLabel(of: account)
        identity = account.shownIdentity
        active = state.accounts.activeAccountID == account.id
        self.state = account.state(nowMs: nowMs)
        cooldownUntilMs = account.exhaustedUntil > nowMs ? account.exhaustedUntil : nil
        expiresAtMs = account.token.expiryDate
        lastRefreshAtMs = state.sidecar.notes[account.id]?.lastRefreshAtMs
        lastRefreshResult = state.sidecar.notes[account.id]?.lastRefreshResult
    }

    /// The JSON form used by `accounts list --json` and `status --json`.
    public var json: JSONValue {
        .object(
            JSONObject([
                ("id", .string(id)),
                ("label", .optionalString(label)),
                ("identity", .optionalString(identity)),
                ("active", .bool(active)),
                ("state", .string(state.rawValue)),
                ("cooldown_until_ms", cooldownUntilMs.map { .int($0) } ?? .null),
                ("expires_at_ms", .int(expiresAtMs)),
                ("next_refresh_at_ms", nextRefreshAtMs.map { .int($0) } ?? .null),
                (
                    "last_refresh",
                    lastRefreshAtMs.map { at in
                        .object(JSONObject([("at_ms", .int(at)), ("result", .optionalString(lastRefreshResult))]))
                    } ?? .null
                ),
            ]))
    }
}
