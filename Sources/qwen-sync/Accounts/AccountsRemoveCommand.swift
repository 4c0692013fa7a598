import ArgumentParser
import Glibc
import QwenSyncCore

/// `qwen-sync accounts remove ID|LABEL [--yes]`.
struct AccountsRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove an account from the store (asks first; --yes when not on a terminal).",
        discussion: """
            The removed refresh token is kept in a 0600 file, so `qwen-sync accounts restore ID` \
            brings the account back. Tokens in oauth_creds.json that no account holds are adopted \
            as an account first, never overwritten.
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Account id, label, email, identity as shown, or unique id prefix.", completion: AccountCompletion.kind)
    var account: String
    @Flag(name: [.short, .long], help: "Do not ask for confirmation (required when standard input is not a terminal).") var yes = false
    @Flag(help: "Print one JSON document.") var json = false

    func run() throws {
        let store = try global.settings().writingStore(before: "the change")
        // The account confirmed is the one removed, even if a label moved while the prompt waited.
        var confirmedID: String?
        if !yes {
            let state = try CommandFailure.wrap { try store.read() }
            let target = try state.account(named: account)
            try confirm("Remove \(state.describe(target))?")
            confirmedID = target.id
        }
        let (removed, replacement, adopted, before) = try CommandFailure.wrap {
            try store.transaction { state in
                let target =
                    try confirmedID.map { id throws(CommandFailure) in
                        guard let confirmed = state.accounts.account(id: id) else {
                            throw CommandFailure("\(id) is gone already (another process removed it); nothing removed")
                        }
                        return confirmed
                    } ?? state.account(named: account)
                let before = state
                let nowMs = WallClock.nowMs()
                let adopted = state.adoptUnstoredCredentials(nowMs: nowMs)
                let wasActive = state.accounts.activeAccountID == target.id
                state.accounts.remove(id: target.id)
                state.sidecar.notes[target.id] = nil
                var replacement: String?
                if wasActive, let next = state.accounts.nextHealthy(after: nil, nowMs: nowMs) {
                    state.activate(next.id)
                    replacement = next.id
                }
                return (target.id, replacement, adopted, before)
            }
        }
        let undo = "qwen-sync accounts restore \(removed)"
        AuditTrail.record(.remove, account: removed, "accounts remove: removed \(before.describe(before.accounts.account(id: removed)!))")
        if let adopted { AuditTrail.record(.import, account: adopted, "accounts remove: kept the unstored login in oauth_creds.json as \(adopted)") }
        if let replacement { AuditTrail.record(.switch, account: replacement, "accounts remove: active account is now \(replacement)") }
        if json {
            printJSON(
                .object(
                    JSONObject([
                        ("removed", before.summary(of: removed)), ("active_account", .optionalString(replacement)),
                        ("adopted_account", .optionalString(adopted)), ("undo", .string(undo)),
                    ])))
        } else {
            print("Removed \(before.describe(before.accounts.account(id: removed)!)).")
            if let replacement { print("Active account: \(replacement)") }
            print("undo: \(undo)")
        }
        if let adopted { printError("note: oauth_creds.json held a login no account had; it is kept as \(adopted)") }
    }

    /// Asks on the terminal; refuses without one (a usage error: `--yes` is required).
    private func confirm(_ question: String) throws {
        guard isatty(STDIN_FILENO) == 1 else {
            throw CommandFailure("standard input is not a terminal; add --yes to remove without asking", exitCode: QwenSync.usageExitCode)
        }
        printError("\(question) [y/N] ", newline: false)
        let answer = readLine(strippingNewline: true)?.trimmingASCIIWhitespace().lowercased()
        guard answer == "y" || answer == "yes" else { throw CommandFailure("nothing removed") }
    }
}
