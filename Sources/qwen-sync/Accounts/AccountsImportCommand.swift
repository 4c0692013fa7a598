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
                let adoption = state.reconcileCredentialsFile(nowMs: WallClock.nowMs())
                guard let id = adoption.accountID else {
                    throw CommandFailure("\(settings.credentialsPath) holds an older or already rotated-out token; nothing to import")
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
}
