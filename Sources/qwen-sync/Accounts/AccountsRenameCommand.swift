import ArgumentParser
import QwenSyncCore

/// `qwen-sync accounts rename ID|LABEL NEW`.
struct AccountsRenameCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rename",
        abstract: "Give an account a new label (unique, no control characters).",
        discussion: "An empty NEW label (\"\") removes the label."
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Account id, label, email, identity as shown, or unique id prefix.", completion: AccountCompletion.kind)
    var account: String
    @Argument(help: "The new label.") var label: String
    @Flag(help: "Print one JSON document.") var json = false

    func validate() throws {
        if !label.isEmpty { try validateLabelArgument(label, name: "the new label") }
    }

    func run() throws {
        let store = try global.settings().writingStore(before: "the change")
        let newLabel = label.isEmpty ? nil : label
        let (id, previous, state) = try CommandFailure.wrap {
            try store.transaction { state in
                let target = try state.account(named: account)
                if let newLabel { try state.checkLabelIsFree(newLabel, for: target.id) }
                let previous = state.displayLabel(of: target)
                state.setLabel(newLabel, of: target.id)
                return (target.id, previous, state)
            }
        }
        let described = state.describe(state.accounts.account(id: id)!)
        let was = previous.map { "\"\(TerminalText.escaped($0))\"" } ?? "no label"
        AuditTrail.record(.rename, account: id, "accounts rename: \(described), was \(was)")
        if json {
            printJSON(.object(JSONObject([("account", state.summary(of: id)), ("previous_label", .optionalString(previous))])))
        } else {
            print("Renamed \(described) (was \(was)).")
        }
    }
}
