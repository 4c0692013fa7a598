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
        let store = CredentialStore(settings: settings)
        let (id, created, state): (String, Bool, CredentialState) = try CommandFailure.wrap {
            try store.transaction { state in
                guard let credentials = state.credentials else {
                    throw CommandFailure("\(settings.credentialsPath): \(state.credentialsProblem ?? "no such file"); nothing to import")
                }
                if let label, let existing = state.accounts.account(matching: credentials) {
                    try state.checkLabelIsFree(label, for: existing.id)
                } else if let label {
                    try state.checkLabelIsFree(label, for: nil)
                }
                let outcome = state.adopt(credentials, nowMs: WallClock.nowMs())
                if let label { state.setLabel(label, of: outcome.id) }
                if state.accounts.activeAccountID == nil { state.accounts.activeAccountID = outcome.id }
                return (outcome.id, outcome.created, state)
            }
        }
        let described = state.describe(state.accounts.account(id: id)!)
        AuditTrail.record(.import, account: id, "accounts import: \(created ? "imported" : "updated") \(described)")
        if json {
            printJSON(.object(JSONObject([
                ("account", state.summary(of: id)), ("created", .bool(created)), ("active", .bool(state.accounts.activeAccountID == id)),
            ])))
        } else {
            print(created ? "Imported as \(described)." : "Updated \(described) (same identity).")
        }
    }
}
