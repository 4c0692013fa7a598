import ArgumentParser
import QwenSyncCore

extension CredentialState {
    /// The account `reference` (id, label, email, shown identity or unique id prefix) names.
    ///
    /// - Throws: ``CommandFailure`` when none matches, or when several do (listing them).
    func account(named reference: String) throws(CommandFailure) -> StoredAccount {
        switch lookUpAccount(reference) {
        case .found(let account):
            return account
        case .notFound:
            throw CommandFailure("no account matches \"\(TerminalText.escaped(reference))\"; see `qwen-sync accounts list`")
        case .ambiguous(let candidates):
            let list = candidates.map(describe).joined(separator: "; ")
            throw CommandFailure("\"\(TerminalText.escaped(reference))\" matches \(candidates.count) accounts: \(list); give the id")
        }
    }

    /// One account for a message: `acct_… ("label", j…n@example.com)`, control characters escaped.
    func describe(_ account: StoredAccount) -> String {
        let label = displayLabel(of: account).map { "\"\(TerminalText.escaped($0))\"" } ?? "no label"
        return "\(account.id) (\(label), \(account.shownIdentity ?? "unknown"))"
    }

    /// The summary of the account `id` now, for `--json` output.
    func summary(of id: String) -> JSONValue {
        guard let account = accounts.account(id: id) else { return .null }
        return AccountSummary(account, in: self, nowMs: WallClock.nowMs()).json
    }

    /// Refuses `label` for `id` when another account already answers to it.
    ///
    /// - Parameter relogin: name `login --account` in the message, for a login that may be
    ///   the other account's own.
    func checkLabelIsFree(_ label: String, for id: String?, relogin: Bool = false) throws(CommandFailure) {
        if let other = labelConflict(label, for: id) {
            let advice = relogin ? "choose another, or log that account in again with `qwen-sync login --account \(other.id)`" : "choose another"
            throw CommandFailure("the label \"\(TerminalText.escaped(label))\" is already taken by \(describe(other)); \(advice)")
        }
    }
}

/// Checks a label given on the command line, from a command's `validate()`: a usage error when
/// it is unacceptable on its own.
func validateLabelArgument(_ label: String?, name: String = "--label") throws {
    if let label, let problem = LabelRules.problem(with: label) {
        throw ValidationError("\(name): \(problem)")
    }
}
