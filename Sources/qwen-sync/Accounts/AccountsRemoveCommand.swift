import ArgumentParser
import QwenSyncCore

/// `qwen-sync accounts remove ID|LABEL`.
struct AccountsRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove an account from the store (oauth_creds.json is kept).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Account id, label, email or unique id prefix.") var account: String

    func run() throws {
        let store = CredentialStore(settings: try global.settings())
        let (id, newActive) = try CommandFailure.wrap {
            try store.transaction { state in
                guard let target = state.resolveAccount(account) else { throw CommandFailure("no account matches \"\(account)\"") }
                let wasActive = state.accounts.activeAccountID == target.id
                state.accounts.remove(id: target.id)
                state.sidecar.notes[target.id] = nil
                var replacement: String?
                if wasActive, let next = state.accounts.nextHealthy(after: nil, nowMs: WallClock.nowMs()) {
                    state.activate(next.id)
                    replacement = next.id
                }
                return (target.id, replacement)
            }
        }
        print("Removed \(id).")
        if let newActive { print("Active account: \(newActive)") }
    }
}
