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
                guard state.credentials != nil else {
                    throw CommandFailure("\(settings.credentialsPath): \(state.credentialsProblem ?? "no such file"); nothing to import")
                }
                let adoption = state.reconcileCredentialsFile(nowMs: WallClock.nowMs())
                guard let id = adoption.accountID else {
                    throw CommandFailure("\(settings.credentialsPath) holds an older or already rotated-out token; nothing to import")
                }
                if let label { state.sidecar.notes[id, default: .init()].label = label }
                if state.accounts.activeAccountID == nil { state.accounts.activeAccountID = id }
                if case .added = adoption { return (id, true) }
                return (id, false)
            }
        }
        print(created ? "Imported as \(id)." : "Already account \(id); its newest tokens are stored.")
    }
}
