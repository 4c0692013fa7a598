import ArgumentParser
import QwenSyncCore

/// `qwen-sync accounts use ID|LABEL`.
struct AccountsUseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "use", abstract: "Make an account active and mirror it into oauth_creds.json.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Account id, label, email or unique id prefix.") var account: String

    func run() throws {
        let store = CredentialStore(settings: try global.settings())
        let (id, state) = try CommandFailure.wrap {
            try store.transaction { state in
                guard let target = state.resolveAccount(account) else { throw CommandFailure("no account matches \"\(account)\"") }
                state.activate(target.id)
                return (target.id, target.state(nowMs: WallClock.nowMs()))
            }
        }
        print("Active account: \(id)")
        if state != .healthy { printError("warning: \(id) is \(state.rawValue); clients may get errors until it recovers") }
    }
}
