import ArgumentParser
import QwenOAuth
import QwenSyncCore

/// `qwen-sync refresh [ID|LABEL | --all] [--json]`: refresh now, under the locks, without a daemon.
struct RefreshCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refresh",
        abstract: "Refresh an account (default: the active one) or --all now, under the locks.",
        discussion: "Skips the network when another process refreshed the account meanwhile. Exit 1 with the reason when the server refuses."
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Account id, label, email, identity as shown, or unique id prefix (default: the active account).") var account: String?
    @Flag(help: "Refresh every account that is not auth_invalid.") var all = false
    @Flag(help: "Print one JSON document.") var json = false

    func validate() throws {
        if all && account != nil { throw ValidationError("give an account or --all, not both") }
    }

    func run() throws {
        let settings = try global.settings()
        let store = settings.commandStore
        let refresher = AccountRefresher(store: store, client: OAuthClient(configuration: OAuthConfiguration(settings: settings)))
        let state = try store.readAdoptingLogin()
        let nowMs = WallClock.nowMs()
        let targets: [StoredAccount]
        if all {
            targets = state.accounts.accounts.filter { $0.state(nowMs: nowMs) != .authInvalid }
        } else if let account {
            targets = [try state.account(named: account)]
        } else {
            guard let active = state.accounts.activeAccount else {
                throw CommandFailure("no active account and no usable \(settings.credentialsPath); run `qwen-sync login`")
            }
            targets = [active]
        }
        var outcomes: [RefreshOutcome] = []
        for target in targets {
            let outcome = try CommandFailure.wrap {
                try refresher.refresh(accountID: target.id, policy: .unlessRotatedSince(refreshToken: target.token.refreshToken))
            }
            outcomes.append(outcome)
            AuditTrail.record(.refresh, account: outcome.accountID ?? target.id, "refresh: \(outcome.resultText)")
            if !json && outcome.succeeded { print(outcome.description) }
            if !json && !outcome.succeeded && targets.count > 1 { printError(outcome.description) }
        }
        if json {
            print(
                JSONValue.array(
                    outcomes.map { outcome in
                        .object(
                            JSONObject([
                                ("id", .optionalString(outcome.accountID)),
                                ("ok", .bool(outcome.succeeded)),
                                ("result", .string(outcome.resultText)),
                            ]))
                    }
                ).serialized(.pretty))
        }
        let failures = outcomes.filter { !$0.succeeded }
        if failures.count == 1 && targets.count == 1 { throw CommandFailure(failures[0].description) }
        if !failures.isEmpty { throw CommandFailure("\(failures.count) of \(outcomes.count) refreshes failed") }
    }
}
