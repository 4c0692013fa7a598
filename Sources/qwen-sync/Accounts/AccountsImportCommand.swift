import ArgumentParser
import QwenSyncCore

/// `qwen-sync accounts import`: adopt the current `oauth_creds.json` as an account.
struct AccountsImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import", abstract: "Adopt the current oauth_creds.json as an account.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "A label for the account (unique, no control characters).") var label: String?
    @Flag(help: "Print one JSON document.") var json = false

    func validate() throws { try validateLabelArgument(label) }

    func run() throws {
        let settings = try global.settings()
        let store = try settings.writingStore(before: "the import")
        let (id, created, state): (String, Bool, CredentialState) = try CommandFailure.wrap {
            try store.transaction { state in
                guard state.credentials != nil else {
                    throw CommandFailure("\(settings.credentialsPath): \(state.credentialsProblem ?? "no such file"); nothing to import")
                }
                var adoption = state.reconcileCredentialsFile(nowMs: WallClock.nowMs())
                if case .stale = adoption, let credentials = state.credentials {
                    adoption = Self.takeBack(credentials, into: &state, nowMs: WallClock.nowMs())
                }
                guard let id = adoption.accountID else {
                    throw CommandFailure(
                        "\(settings.credentialsPath) holds a refresh token that was already exchanged for a newer one, so the server"
                            + " refuses it; `qwen-sync accounts restore` lists the tokens kept, else `qwen-sync login`")
                }
                if let label {
                    try state.checkLabelIsFree(label, for: id)
                    state.setLabel(label, of: id)
                }
                if state.accounts.activeAccountID == nil { state.accounts.activeAccountID = id }
                if case .added = adoption { return (id, true, state) }
                return (id, false, state)
            }
        }
        let described = state.describe(state.accounts.account(id: id)!)
        AuditTrail.record(.import, account: id, "accounts import: \(created ? "imported" : "updated") \(described)")
        if json {
            printJSON(
                .object(
                    JSONObject([
                        ("account", state.summary(of: id)), ("created", .bool(created)), ("active", .bool(state.accounts.activeAccountID == id)),
                    ])))
        } else {
            print(created ? "Imported as \(described)." : "Already account \(described); its newest tokens are stored.")
        }
    }

    /// An explicit import of a token the lineage would not take in by itself (it belonged to a
    /// removed account, or to an account of a store that was moved aside): unless the token is
    /// known rotated out, it comes back, as the removed account when its tokens are kept, else
    /// under the account id the ledger knows, else as a new account. A token refused before is
    /// imported too: a refusal is evidence, not a verdict.
    static func takeBack(_ credentials: OAuthCredentials, into state: inout CredentialState, nowMs: Int64) -> CredentialsAdoption {
        let ledger = state.sidecar.ledger
        guard ledger.entry(for: credentials.refreshToken)?.fate != .rotated else { return .stale(id: nil) }
        let owner = ledger.entry(for: credentials.refreshToken)?.accountID
        if let owner, state.accounts.account(id: owner) != nil { return .unchanged(id: owner) }
        if let kept = state.recovered.entries.last(where: { $0.token.refreshToken == credentials.refreshToken }),
            state.accounts.account(id: kept.accountID) == nil, (try? state.restore(accountID: kept.accountID, replace: false, nowMs: nowMs)) != nil
        {
            state.accounts.update(id: kept.accountID) { if !$0.token.sameTokens(as: credentials) { $0.setToken(credentials, nowMs: nowMs) } }
            return .added(id: kept.accountID)
        }
        let id = owner ?? StoredAccount.makeID(nowMs: nowMs)
        state.accounts.add(StoredAccount(id: id, token: credentials, nowMs: nowMs))
        state.sidecar.ledger.withdrawRefusal(of: credentials.refreshToken, accountID: id, nowMs: nowMs)
        return .added(id: id)
    }
}
