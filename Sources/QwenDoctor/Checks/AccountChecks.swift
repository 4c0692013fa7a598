import QwenSyncCore

/// The active account (health, token expiry, whether `oauth_creds.json` holds it) and the
/// state of every other account.
enum AccountChecks {
    static func run(_ context: DoctorContext) -> [DoctorFinding] {
        guard let state = try? CredentialStore(settings: context.settings).read() else {
            return [DoctorFinding("active_account", .skip, "not checked: the accounts store cannot be read (see accounts_file)")]
        }
        let now = context.nowMs
        var findings = [active(state, now: now)]
        for account in state.accounts.accounts where account.id != state.accounts.activeAccountID {
            findings.append(other(account, in: state, now: now))
        }
        return findings
    }

    /// The active account, or the account `oauth_creds.json` holds when there is no store.
    private static func active(_ state: CredentialState, now: Int64) -> DoctorFinding {
        guard let account = state.accounts.activeAccount else {
            if let credentials = state.credentials {
                return expiry(
                    of: credentials.expiryDate, name: "the account in oauth_creds.json (not in the store)", now: now,
                    healthyFix: "`qwen-sync accounts import` adds it to the store, so it can be switched and watched")
            }
            return DoctorFinding("active_account", .fail, "no active account", fix: "`qwen-sync login`")
        }
        let name = describe(account, in: state)
        let switchFix = state.accounts.nextHealthy(after: account.id, nowMs: now).map { "; or `qwen-sync accounts use \($0.id)`, which is healthy" } ?? ""
        switch account.state(nowMs: now) {
        case .authInvalid:
            return DoctorFinding(
                "active_account", .fail, "the active account \(name) was refused by the server: no client can use it",
                fix: refusedFix(account) + switchFix)
        case .cooldown:
            return DoctorFinding(
                "active_account", .warn,
                "the active account \(name) is out of quota until \(utcText(ms: account.exhaustedUntil))",
                fix: "wait" + switchFix)
        case .healthy:
            break
        }
        if let credentials = state.credentials, state.accounts.account(matching: credentials)?.id != account.id {
            return DoctorFinding(
                "active_account", .warn, "oauth_creds.json does not hold the active account \(name)",
                fix: "`qwen-sync accounts use \(account.id)` (or `qwen-sync accounts import` to keep the file's account)")
        }
        return expiry(of: account.token.expiryDate, name: "the active account \(name)", now: now, healthyFix: nil)
    }

    /// The token-expiry finding for the active account.
    private static func expiry(of expiryMs: Int64, name: String, now: Int64, healthyFix: String?) -> DoctorFinding {
        if expiryMs <= now {
            return DoctorFinding(
                "active_account", .warn,
                "\(name): its access token expired \(durationText(ms: now - expiryMs)) ago (\(utcText(ms: expiryMs)))",
                fix: "`qwen-sync refresh` (a running daemon refreshes before expiry)")
        }
        return DoctorFinding(
            "active_account", healthyFix == nil ? .ok : .warn,
            "\(name) is healthy; its access token expires in \(durationText(ms: expiryMs - now))",
            fix: healthyFix)
    }

    private static func other(_ account: StoredAccount, in state: CredentialState, now: Int64) -> DoctorFinding {
        let id = "account:\(account.id)"
        let name = describe(account, in: state)
        switch account.state(nowMs: now) {
        case .healthy:
            return DoctorFinding(id, .ok, "\(name): healthy")
        case .cooldown:
            return DoctorFinding(id, .ok, "\(name): out of quota until \(utcText(ms: account.exhaustedUntil)); qwen-sync keeps refreshing it meanwhile")
        case .authInvalid:
            return DoctorFinding(id, .warn, "\(name): the server refused its login", fix: refusedFix(account))
        }
    }

    /// What to do about a refused account: present its token again first (a refusal is
    /// evidence, not a verdict: a wrong client id or endpoint is refused too, and a new login
    /// may be impossible while the service is closed), then log it in again.
    private static func refusedFix(_ account: StoredAccount) -> String {
        "`qwen-sync refresh \(account.id)` presents its refresh token again (a wrong client id or endpoint is refused too);"
            + " if the server still refuses it, `qwen-sync login --account \(account.id)`"
    }

    /// `acct_… ("work", u***@example.com)`: id, label and masked identity, never a token.
    private static func describe(_ account: StoredAccount, in state: CredentialState) -> String {
        let details = [state.displayLabel(of: account).map { "\"\(visible($0))\"" }, account.identityKey.map(AccountIdentity.masked)]
            .compactMap { $0 }
        return details.isEmpty ? account.id : "\(account.id) (\(details.joined(separator: ", ")))"
    }

    /// A label with control characters replaced, so it cannot move the cursor or colour the screen.
    private static func visible(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
    }
}
