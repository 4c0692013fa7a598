import ArgumentParser
import QwenSyncCore

/// `qwen-sync accounts restore [ID] [--replace] [--json]`: list the refresh tokens kept in
/// `qwen-sync-recovered.json`, or put one back.
struct AccountsRestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "List kept refresh tokens (removed accounts, tokens a peer replaced), or restore one.",
        discussion: """
            qwen-sync never drops a refresh token that may still work: a removed account, a token \
            a peer's newer one replaced, or a copy written over in oauth_creds.json is kept in \
            qwen-sync-recovered.json (0600). Without an argument, lists them; with an account id, \
            restores the newest kept token of that account (an id, label, identity as shown or \
            email, as `accounts list` or this list prints it; --replace when the account exists).
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The account to restore: id, label, identity as shown, or email (as listed).", completion: AccountCompletion.keptKind) var account: String?
    @Flag(help: "Replace the tokens of an account that still exists (its current ones are kept in turn).") var replace = false
    @Flag(help: "Print one JSON document.") var json = false

    func run() throws {
        let settings = try global.settings()
        guard let reference = account else { return try list(settings.commandStore) }
        let store = try settings.writingStore(before: "the restore")
        let account = try Self.keptAccountID(for: reference, in: try CommandFailure.wrap { try store.read() })
        // A login whose store write failed is kept outside the qwen directory: bring it in first.
        let unsaved = try CommandFailure.wrap {
            try UnsavedTokens.read().entries.contains { $0.accountID == account } ? UnsavedTokens.take(accountID: account) : nil
        }
        do {
            try CommandFailure.wrap {
                try store.transaction { state in
                    if let unsaved { state.recovered.keep(unsaved) }
                    do { try state.restore(accountID: account, replace: replace, nowMs: WallClock.nowMs()) } catch { throw CommandFailure("\(error)") }
                }
            }
        } catch {
            // Not restored: the unsaved login goes back where it was kept.
            if let unsaved { _ = try? UnsavedTokens.keep(unsaved) }
            throw error
        }
        AuditTrail.record(.restore, account: account, "accounts restore: put back the newest kept token of \(account)")
        if json {
            printJSON(.object(JSONObject([("restored", .string(account))])))
        } else {
            print("Restored \(account).")
        }
    }

    /// The account id a reference names: whatever `accounts list` and the restore list print
    /// (id, label, masked identity, email, or a unique id prefix) of a kept token or an account.
    static func keptAccountID(for reference: String, in state: CredentialState) throws(CommandFailure) -> String {
        let kept = state.recovered.entries + UnsavedTokens.read().entries
        if kept.contains(where: { $0.accountID == reference }) { return reference }
        let named = Set(
            kept.filter { entry in
                entry.label == reference || entry.accountID.hasPrefix(reference)
                    || AccountIdentity.shown(accessToken: entry.token.accessToken, identityKey: nil) == reference
                    || AccountIdentity.email(forAccessToken: entry.token.accessToken) == reference
            }.map(\.accountID))
        if named.count == 1, let id = named.first { return id }
        if named.count > 1 {
            throw CommandFailure("\"\(TerminalText.escaped(reference))\" matches kept tokens of \(named.sorted().joined(separator: ", ")); give the id")
        }
        if case .found(let account) = state.lookUpAccount(reference) { return account.id }
        return reference  // nothing matches: the restore says nothing is kept for it
    }

    private func list(_ store: CredentialStore) throws {
        let entries = try CommandFailure.wrap { try store.read() }.recovered.entries + UnsavedTokens.read().entries
        let nowMs = WallClock.nowMs()
        if json {
            printJSON(
                .array(
                    entries.map { entry in
                        .object(
                            JSONObject([
                                ("account", .string(entry.accountID)),
                                ("label", .optionalString(entry.label)),
                                ("reason", .string(entry.reason)),
                                ("saved_at_ms", .int(entry.savedAtMs)),
                                ("expires_at_ms", .int(entry.token.expiryDate)),
                            ]))
                    }))
            return
        }
        guard !entries.isEmpty else { return print("No refresh token is kept.") }
        print(
            TextTable.render(
                header: ["ACCOUNT", "LABEL", "WHY KEPT", "KEPT", "ACCESS TOKEN EXPIRES"],
                rows: entries.reversed().map { entry in
                    [
                        entry.accountID, entry.label ?? "-", entry.reason, Duration.relative(entry.savedAtMs - nowMs),
                        Duration.relative(entry.token.expiryDate - nowMs),
                    ]
                }
            ))
    }
}
