import QwenControl
import QwenSyncCore

/// `qwen-sync status --check`: whether clients can use the active account now, for scripts and
/// shell prompts. Prints nothing when it can (exit 0); one line on stderr and exit 1 when not.
///
/// Whatever a daemon says, the files are judged first, with doctor's and the file-based
/// status's judgement: `oauth_creds.json` must pass qwen-code's own validation
/// (`docs/INTEROP.md`: non-empty `access_token`, `refresh_token`, `token_type`, a numeric
/// `expiry_date`; ``CredentialsFile/read(_:)``) and the accounts store must be readable. Then
/// the daemon's view is used when a daemon serving this qwen directory answers, else the files'.
/// The active account is unusable when there is none, when its token has expired, or when it
/// is `auth_invalid` or cooling down, unless a running daemon has a healthy account to switch to.
enum UsabilityCheck {
    /// One account as the check sees it.
    struct Account {
        let id: String
        let state: String
        let expiresAtMs: Int64?
        let cooldownUntilMs: Int64?
    }

    static func run(_ settings: Settings) throws {
        let nowMs = WallClock.nowMs()
        // One truth: what qwen-code and doctor see in the files, even when a daemon answers.
        let state: CredentialState
        do {
            state = try CredentialStore(settings: settings).read()
        } catch {
            throw CommandFailure("\(CommandFailure.oneLine(error)); `qwen-sync doctor` says how to recover")
        }
        if case .invalid(let reason, _) = CredentialsFile.read(settings.credentialsPath) {
            let fix =
                state.accounts.activeAccountID.map { "`qwen-sync accounts use \($0)` writes it again from the store" } ?? "`qwen-sync login`"
            throw CommandFailure("\(settings.credentialsPath) is not usable by qwen-code: \(reason); \(fix)")
        }
        if let reply = try? ControlClient.request(.status, at: settings.socketPath).objectValue,
            reply["error"] == nil, reply["qwen_dir"]?.stringValue == settings.qwenDirectory
        {
            let accounts = (reply["accounts"]?.arrayValue ?? []).compactMap(\.objectValue).map { object in
                Account(
                    id: object["id"]?.stringValue ?? "?", state: object["state"]?.stringValue ?? "?",
                    expiresAtMs: object["expires_at_ms"]?.int64Value, cooldownUntilMs: object["cooldown_until_ms"]?.int64Value
                )
            }
            if let reason = problem(active: reply["active_account"]?.stringValue, accounts: accounts, daemonRunning: true, nowMs: nowMs) {
                throw CommandFailure(reason)
            }
            return
        }
        let accounts = state.accounts.accounts.map { account in
            let summary = AccountSummary(account, in: state, nowMs: nowMs)
            return Account(id: summary.id, state: summary.state.rawValue, expiresAtMs: summary.expiresAtMs, cooldownUntilMs: summary.cooldownUntilMs)
        }
        if state.accounts.activeAccount == nil, let credentials = state.credentials, credentials.expiryDate > nowMs {
            return  // a login no account holds yet, as qwen-code alone keeps it: usable
        }
        if let reason = problem(active: state.accounts.activeAccountID, accounts: accounts, daemonRunning: false, nowMs: nowMs) {
            throw CommandFailure(reason)
        }
    }

    /// Why the active account cannot be used, or `nil` when it can.
    static func problem(active: String?, accounts: [Account], daemonRunning: Bool, nowMs: Int64) -> String? {
        guard let active, let account = accounts.first(where: { $0.id == active }) else {
            return accounts.isEmpty ? "no account; run `qwen-sync login`" : "no active account; choose one with `qwen-sync accounts use ID`"
        }
        let alternative = accounts.first { $0.id != active && $0.state == AccountState.healthy.rawValue && ($0.expiresAtMs ?? 0) > nowMs }
        let reason: String
        switch account.state {
        case AccountState.healthy.rawValue:
            guard let expires = account.expiresAtMs, expires <= nowMs else { return nil }
            return "the token of the active account \(active) expired \(Duration.relative(expires - nowMs)); "
                + (daemonRunning ? "the daemon has not refreshed it (see `qwen-sync status`)" : "run `qwen-sync refresh`")
        case AccountState.authInvalid.rawValue:
            reason = "the active account \(active) was refused by the server; run `qwen-sync login --account \(active)`"
        default:
            let ends = account.cooldownUntilMs.map { ", ends \(Duration.relative($0 - nowMs))" } ?? ""
            reason = "the active account \(active) is cooling down after a quota error\(ends)"
        }
        if let alternative {
            if daemonRunning { return nil }  // the daemon switches to it
            return reason + "; or switch with `qwen-sync accounts use \(alternative.id)`"
        }
        return reason + (accounts.count > 1 ? "; no other account is healthy" : "")
    }
}
