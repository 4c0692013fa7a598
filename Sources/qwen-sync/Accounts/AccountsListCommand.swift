import ArgumentParser
import QwenSyncCore

/// `qwen-sync accounts list [--json]`.
struct AccountsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Show every account, its state and token expiry (never a token).")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print one JSON document.") var json = false

    func run() throws {
        let settings = try global.settings()
        let state = try CommandFailure.wrap { try CredentialStore(settings: settings).read() }
        let now = WallClock.nowMs()
        let summaries = state.accounts.accounts.map { AccountSummary($0, in: state, nowMs: now) }
        if json {
            let document: JSONValue = .object(
                JSONObject([
                    ("qwen_dir", .string(settings.qwenDirectory)),
                    ("active_account", .optionalString(state.accounts.activeAccountID)),
                    ("accounts", .array(summaries.map(\.json))),
                    (
                        "rejected_entries",
                        .array(
                            state.accounts.rejectedEntries.map { entry in
                                .object(
                                    JSONObject([("index", .int(Int64(entry.index))), ("id", .optionalString(entry.id)), ("reason", .string(entry.reason))]))
                            })
                    ),
                ]))
            print(document.serialized(.pretty))
            return
        }
        if summaries.isEmpty {
            print("No accounts in \(settings.accountsPath). Add one with `qwen-sync login` or `qwen-sync accounts import`.")
        } else {
            print(AccountTable.render(summaries, nowMs: now))
        }
        for entry in state.accounts.rejectedEntries {
            printError(
                "warning: entry \(entry.index)\(entry.id.map { " (\($0))" } ?? "") in the store is unusable: \(entry.reason); the accounts plugin will drop it")
        }
        if let problem = state.credentialsProblem {
            printError("warning: \(settings.credentialsPath): \(problem)")
        }
    }
}
