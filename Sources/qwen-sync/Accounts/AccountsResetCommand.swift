import ArgumentParser
import QwenSyncCore

/// `qwen-sync accounts reset ID|LABEL`.
struct AccountsResetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reset", abstract: "Clear an account's cooldown and error state.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Account id, label, email or unique id prefix.") var account: String

    func run() throws {
        let store = CredentialStore(settings: try global.settings())
        let id = try CommandFailure.wrap {
            try store.transaction { state in
                guard let target = state.resolveAccount(account) else { throw CommandFailure("no account matches \"\(account)\"") }
                state.accounts.update(id: target.id) { $0.resetHealth(nowMs: WallClock.nowMs()) }
                return target.id
            }
        }
        print("\(id) is healthy again.")
    }
}
