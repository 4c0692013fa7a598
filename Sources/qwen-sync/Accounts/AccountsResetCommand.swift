import ArgumentParser
import QwenSyncCore

/// `qwen-sync accounts reset ID|LABEL`.
struct AccountsResetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reset", abstract: "Clear an account's cooldown and error state.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Account id, label, email, identity as shown, or unique id prefix.", completion: AccountCompletion.kind)
    var account: String
    @Flag(help: "Print one JSON document.") var json = false

    func run() throws {
        let store = try global.settings().writingStore(before: "the change")
        let (id, state) = try CommandFailure.wrap {
            try store.transaction { state in
                let target = try state.account(named: account)
                let nowMs = WallClock.nowMs()
                state.accounts.update(id: target.id) { $0.resetHealth(nowMs: nowMs) }
                // A refusal is evidence, not a verdict: the next refresh presents the token again.
                state.sidecar.ledger.withdrawRefusal(of: target.token.refreshToken, accountID: target.id, nowMs: nowMs)
                return (target.id, state)
            }
        }
        let resetAccount = state.accounts.account(id: id)!
        let described = state.describe(resetAccount)
        // Only a token rotated out stays dead: say so rather than promise a refresh that cannot be.
        let rotatedOut = state.sidecar.ledger.isDead(resetAccount.token.refreshToken)
        let message =
            rotatedOut
            ? "\(described) is healthy again, but its refresh token was already exchanged for a newer one that is lost;"
                + " `qwen-sync accounts restore \(id) --replace` brings back a kept newer token, else `qwen-sync login --account \(id)`"
            : "\(described) is healthy again; its refresh token is presented at the next refresh (`qwen-sync refresh \(id)`)."
        AuditTrail.record(.reset, account: id, "accounts reset: \(described) is healthy again")
        if json {
            printJSON(.object(JSONObject([("account", state.summary(of: id))])))
        } else {
            print(message)
        }
    }
}
