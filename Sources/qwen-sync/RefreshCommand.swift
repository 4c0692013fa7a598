import ArgumentParser
import Glibc
import QwenDoctor
import QwenOAuth
import QwenSyncCore
import QwenSyncDaemon

/// `qwen-sync refresh [ID|LABEL | --all] [--json]`: refresh now, under the locks, without a daemon.
struct RefreshCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refresh",
        abstract: "Refresh an account (default: the active one) or --all now, under the locks.",
        discussion: """
            Skips the network when another process refreshed the account meanwhile. A token the server refused before is \
            presented again (one rotated out never is). Exit 1 with the reason when the server refuses.
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Account id, label, email, identity as shown, or unique id prefix (default: the active account).", completion: AccountCompletion.kind)
    var account: String?
    @Flag(help: "Refresh every account that is not auth_invalid (accounts refused under another endpoint or client id are tried again).")
    var all = false
    @Flag(help: "Print one JSON document.") var json = false

    func validate() throws {
        if all && account != nil { throw ValidationError("give an account or --all, not both") }
    }

    /// The requests run in a `qwen-syncd --http-exchange` child when `qwen-syncd` is installed
    /// beside this executable: a kill -9 or Ctrl-C of this command while the server rotates the
    /// token then leaves the child to record the new one (``RotationJournal``) instead of
    /// losing it with this process. Without `qwen-syncd`, in this process.
    static var isolation: HTTPIsolation {
        guard let helper = DaemonExecutable.searchPaths().first(where: { access($0, X_OK) == 0 }) else { return .inProcess }
        return .childProcess(executable: helper)
    }

    func run() throws {
        let settings = try global.settings()
        let store = try settings.writingStore(before: "the refresh")
        let refresher = AccountRefresher(
            store: store, client: OAuthClient(configuration: OAuthConfiguration(settings: settings, httpIsolation: Self.isolation)))
        var state = try store.readAdoptingLogin()
        if all {
            // Accounts refused under another endpoint or client id are presented again under this one.
            let released = try CommandFailure.wrap { try refresher.reconsiderRefusalsUnderOtherConfigurations() }
            if !released.isEmpty { state = try CommandFailure.wrap { try store.read() } }
        }
        let nowMs = WallClock.nowMs()
        let targets: [StoredAccount]
        if all {
            targets = state.accounts.accounts.filter { $0.state(nowMs: nowMs) != .authInvalid }
            if targets.isEmpty, let refused = state.accounts.accounts.first {
                throw CommandFailure(
                    "every account is auth_invalid under this configuration, so nothing was sent; `qwen-sync refresh \(refused.id)`"
                        + " presents its token again (so does `qwen-sync accounts reset \(refused.id)`), or fix the endpoint or client id")
            }
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
                try refresher.refresh(accountID: target.id, policy: .unlessRotatedSince(refreshToken: target.token.refreshToken), explicitly: true)
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
        if failures.contains(where: { if case .transientFailure = $0 { true } else { false } }),
            let hint = ClosedServiceHint.hint(baseURL: settings.oauthBaseURL)
        {
            printError("qwen-sync: \(hint)")
        }
        if failures.count == 1 && targets.count == 1 { throw CommandFailure(failures[0].description) }
        if !failures.isEmpty { throw CommandFailure("\(failures.count) of \(outcomes.count) refreshes failed") }
    }
}
