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
            restores the newest kept token of that account.
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The account id to restore (as listed).") var account: String?
    @Flag(help: "Replace the tokens of an account that still exists (its current ones are kept in turn).") var replace = false
    @Flag(help: "Print one JSON document.") var json = false

    func run() throws {
        let settings = try global.settings()
        guard let account else { return try list(settings.commandStore) }
        let store = try settings.writingStore(before: "the restore")
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
