import ArgumentParser
import QwenSyncCore

/// `qwen-sync accounts use ID|LABEL`.
struct AccountsUseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "use",
        abstract: "Make an account active and mirror it into oauth_creds.json.",
        discussion: "Tokens in oauth_creds.json that no account holds are adopted as an account first, never overwritten."
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Account id, label, email, identity as shown, or unique id prefix.", completion: AccountCompletion.kind)
    var account: String
    @Flag(help: "Print one JSON document.") var json = false

    func run() throws {
        let store = try global.settings().writingStore(before: "the change")
        let (id, health, adopted, state) = try CommandFailure.wrap {
            try store.transaction { state in
                let target = try state.account(named: account)
                let nowMs = WallClock.nowMs()
                let adopted = state.adoptUnstoredCredentials(nowMs: nowMs)
                state.activate(target.id)
                return (target.id, target.state(nowMs: nowMs), adopted, state)
            }
        }
        let described = state.describe(state.accounts.account(id: id)!)
        AuditTrail.record(.switch, account: id, "accounts use: active account is now \(described)")
        if let adopted { AuditTrail.record(.import, account: adopted, "accounts use: kept the unstored login in oauth_creds.json as \(adopted)") }
        if json {
            printJSON(
                .object(
                    JSONObject([
                        ("account", state.summary(of: id)), ("active", .bool(true)), ("adopted_account", .optionalString(adopted)),
                    ])))
        } else {
            print("Active account: \(described)")
        }
        if let adopted { printError("note: oauth_creds.json held a login no account had; it is kept as \(adopted)") }
        if health != .healthy { printError("warning: \(id) is \(health.rawValue); clients may get errors until it recovers") }
    }
}
