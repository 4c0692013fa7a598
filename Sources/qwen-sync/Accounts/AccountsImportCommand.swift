import ArgumentParser
import QwenSyncCore

/// `qwen-sync accounts import`: adopt the current `oauth_creds.json` as an account.
struct AccountsImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import", abstract: "Adopt the current oauth_creds.json as an account.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "A label for the account.") var label: String?

    func run() throws {
        let settings = try global.settings()
        let store = CredentialStore(settings: settings)
        let (id, created): (String, Bool) = try CommandFailure.wrap {
            try store.transaction { state in
                guard let credentials = state.credentials else {
                    throw CommandFailure("\(settings.credentialsPath): \(state.credentialsProblem ?? "no such file"); nothing to import")
                }
                let outcome = state.adopt(credentials, nowMs: WallClock.nowMs())
                if let label { state.sidecar.notes[outcome.id, default: .init()].label = label }
                if state.accounts.activeAccountID == nil { state.accounts.activeAccountID = outcome.id }
                return (outcome.id, outcome.created)
            }
        }
        print(created ? "Imported as \(id)." : "Updated \(id) (same identity).")
    }
}
