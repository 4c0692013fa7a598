import ArgumentParser
import QwenSyncCore

/// `qwen-sync accounts reset ID|LABEL`.
struct AccountsResetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reset", abstract: "Clear an account's cooldown and error state.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Account id, label, email, identity as shown, or unique id prefix.") var account: String
    @Flag(help: "Print one JSON document.") var json = false

    func run() throws {
        let store = try global.settings().commandStore
        let (id, state) = try CommandFailure.wrap {
            try store.transaction { state in
                let target = try state.account(named: account)
                state.accounts.update(id: target.id) { $0.resetHealth(nowMs: WallClock.nowMs()) }
                return (target.id, state)
            }
        }
        let described = state.describe(state.accounts.account(id: id)!)
        AuditTrail.record(.reset, account: id, "accounts reset: \(described) is healthy again")
        if json {
            printJSON(.object(JSONObject([("account", state.summary(of: id))])))
        } else {
            print("\(described) is healthy again.")
        }
    }
}
