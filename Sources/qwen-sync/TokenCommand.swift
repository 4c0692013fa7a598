import ArgumentParser
import QwenControl
import QwenOAuth
import QwenSyncCore

/// `qwen-sync token [ID|LABEL] [--min-ttl SECONDS] [--json | --format FORMAT]`: the access
/// token of the active (or named) account for scripts and other clients, like `gh auth token`.
///
/// Standard output holds the token in the chosen shape and nothing else; standard error, the
/// journal and every error message never hold a token. The token is refreshed first when it has
/// less than `--min-ttl` left, through ``TokenRefresh``. Without a refresh nothing but the
/// store is read: no HTTP library is loaded.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Print the access token of the active (or named) account, refreshed first when it is about to expire.",
        discussion: """
            Formats: the bare token and a newline (default); --json (access_token, token_type, \
            expires_at, expiry_date, base_url, account); exec-credential (kubectl's \
            ExecCredential v1); header (`Authorization: Bearer …`); env (shell-quoted \
            QWEN_ACCESS_TOKEN=…, QWEN_TOKEN_TYPE=…, QWEN_TOKEN_EXPIRES_AT=…, QWEN_BASE_URL=…, \
            QWEN_ACCOUNT=… lines for `eval`). Exit 4 when no usable account exists (login required).
            """
    )

    /// The shapes the token can be printed in.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case token, json
        case execCredential = "exec-credential"
        case header, env
    }

    /// The exit status when no usable account exists (as `gh auth token`).
    static let loginRequiredExitCode: Int32 = 4

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Account id, label, email, identity as shown, or unique id prefix (default: the active account).") var account: String?
    @Option(name: .customLong("min-ttl"), help: "Refresh first when fewer seconds than this are left (0...86400).") var minTTL: Int64 = 60
    @Flag(help: "Print one JSON document (the same as --format json).") var json = false
    @Option(help: "token, json, exec-credential, header or env.") var format: Format?

    func validate() throws {
        if json && format != nil && format != .json { throw ValidationError("give --json or --format, not both") }
        if !(0...86_400).contains(minTTL) { throw ValidationError("--min-ttl: give whole seconds from 0 to 86400") }
    }

    func run() throws {
        try Self.printToken(settings: try global.settings(), account: account, minTTL: minTTL, format: json ? .json : format ?? .token)
    }

    /// Prints the token of `account` (or the active one) with at least `minTTL` seconds left.
    static func printToken(settings: Settings, account: String?, minTTL: Int64, format: Format) throws {
        let issued = try TokenRefresh(settings: settings).token(for: account, minTTLMs: minTTL * 1000)
        print(issued.rendered(as: format))
    }
}

extension TokenCommand {
    /// A `token` command line simple enough for the hot path, which answers it before any
    /// argument-parser work (as `status` and `--version`): an optional account, `--min-ttl N`,
    /// `--json` and `--format F`, each at most once and valid. Anything else (global options,
    /// help, a usage error) is `nil` and goes through the parser, which says what is wrong.
    struct PlainInvocation {
        var account: String?
        var minTTL: Int64 = 60
        var format: Format = .token
    }

    /// The plain invocation `arguments` (without the program name) spell, if they spell one.
    static func plainInvocation(_ arguments: [String]) -> PlainInvocation? {
        guard arguments.first == "token" else { return nil }
        var rest = arguments.dropFirst()
        var (account, minTTL, json, format): (String?, Int64?, Bool, Format?) = (nil, nil, false, nil)
        while let argument = rest.popFirst() {
            switch argument {
            case "--json":
                guard !json else { return nil }
                json = true
            case "--min-ttl":
                guard minTTL == nil, let value = rest.popFirst(), let seconds = Int64(value), (0...86_400).contains(seconds) else { return nil }
                minTTL = seconds
            case "--format":
                guard format == nil, let value = rest.popFirst(), let chosen = Format(rawValue: value) else { return nil }
                format = chosen
            default:
                guard account == nil, !argument.hasPrefix("-"), argument != "help" else { return nil }
                account = argument
            }
        }
        guard !json || format == nil || format == .json else { return nil }
        return PlainInvocation(account: account, minTTL: minTTL ?? 60, format: json ? .json : format ?? .token)
    }
}

/// An access token handed out, with what the output formats say about it.
struct IssuedToken {
    /// The account it belongs to.
    let accountID: String
    /// The account's tokens; only the access token, its type, expiry and resource URL are shown.
    let credentials: OAuthCredentials

    /// The API base URL of the account (`resource_url` by the INTEROP rule, else the default).
    var baseURL: String { credentials.resourceURL.map(APIBaseURL.normalize) ?? APIBaseURL.fallback }

    /// The expiry as RFC 3339 UTC.
    var expiresAt: String { UTCTimestamp.iso8601(ms: credentials.expiryDate) }

    /// The text for standard output, without the final newline.
    func rendered(as format: TokenCommand.Format) -> String {
        switch format {
        case .token:
            return credentials.accessToken
        case .json:
            return JSONValue.object(
                JSONObject([
                    ("access_token", .string(credentials.accessToken)),
                    ("token_type", .string(credentials.tokenType)),
                    ("expires_at", .string(expiresAt)),
                    ("expiry_date", .int(credentials.expiryDate)),
                    ("base_url", .string(baseURL)),
                    ("account", .string(accountID)),
                ])
            ).serialized(.pretty)
        case .execCredential:
            return JSONValue.object(
                JSONObject([
                    ("apiVersion", .string("client.authentication.k8s.io/v1")),
                    ("kind", .string("ExecCredential")),
                    ("status", .object(JSONObject([("token", .string(credentials.accessToken)), ("expirationTimestamp", .string(expiresAt))]))),
                ])
            ).serialized(.pretty)
        case .header:
            return "Authorization: Bearer \(credentials.accessToken)"
        case .env:
            return ShellAssignments.lines([
                ("QWEN_ACCESS_TOKEN", credentials.accessToken),
                ("QWEN_TOKEN_TYPE", credentials.tokenType),
                ("QWEN_TOKEN_EXPIRES_AT", expiresAt),
                ("QWEN_BASE_URL", baseURL),
                ("QWEN_ACCOUNT", accountID),
            ])
        }
    }
}

/// `NAME='value'` lines a POSIX shell can `eval` whatever the values hold.
enum ShellAssignments {
    /// One line per pair, each value single-quoted (a `'` inside becomes `'\''`).
    static func lines(_ pairs: [(name: String, value: String)]) -> String {
        pairs.map { "\($0.name)='\($0.value.replacing("'", with: "'\\''"))'" }.joined(separator: "\n")
    }
}

/// Finds the account `token` reads and refreshes it when its token is about to expire.
///
/// A refresh goes through the running daemon when ``throughDaemon(accountID:minTTLMs:)`` gets
/// an answer (the daemon joins concurrent askers into one refresh), else under the locks
/// exactly as `qwen-sync refresh` does, with the policy "if expiring within": a process that
/// refreshed meanwhile is never refreshed over.
struct TokenRefresh {
    let settings: Settings

    /// The token of `reference` (or the active account) with at least `minTTLMs` left when it
    /// can be had.
    ///
    /// - Throws: ``CommandFailure`` with exit 4 when no usable account exists, exit 1 when the
    ///   files cannot be read or a needed refresh failed and the token has already expired.
    func token(for reference: String?, minTTLMs: Int64) throws -> IssuedToken {
        let store = settings.commandStore
        let state = try store.readAdoptingLogin()
        let account = try usableAccount(reference, in: state)
        guard account.token.expiryDate - WallClock.nowMs() < minTTLMs else { return IssuedToken(accountID: account.id, credentials: account.token) }

        let outcome: RefreshOutcome
        if let answer = try throughDaemon(accountID: account.id, minTTLMs: minTTLMs) {
            outcome = answer  // the daemon logged its refresh
        } else {
            outcome = try CommandFailure.wrap {
                try AccountRefresher(store: store, client: OAuthClient(configuration: OAuthConfiguration(settings: settings)))
                    .refresh(accountID: account.id, policy: .ifExpiringWithin(.milliseconds(minTTLMs)))
            }
            if case .refreshed = outcome { AuditTrail.record(.refresh, account: account.id, "token: refreshed before handing out the access token") }
        }
        // The store now holds what the refresh (ours, the daemon's or a peer's) left.
        let fresh = try CommandFailure.wrap { try store.read() }.accounts.account(id: account.id) ?? account
        switch outcome {
        case .refreshed, .alreadyFresh:
            return IssuedToken(accountID: fresh.id, credentials: fresh.token)
        case .invalidated(let id, let reason, _):
            throw CommandFailure(
                "login required: the server rejected the refresh token of \(id) (\(reason)); run `qwen-sync login --account \(id)`",
                exitCode: TokenCommand.loginRequiredExitCode)
        case .transientFailure(let id, let reason, _):
            let leftMs = fresh.token.expiryDate - WallClock.nowMs()
            guard leftMs > 0 else { throw CommandFailure("\(id): the token has expired and the refresh failed: \(reason)") }
            printError("qwen-sync: \(id): could not refresh (\(reason)); the current token is valid for \(leftMs / 1000) s more")
            return IssuedToken(accountID: fresh.id, credentials: fresh.token)
        case .notFound(let reference):
            throw CommandFailure("no account matches \"\(TerminalText.escaped(reference))\" any more; see `qwen-sync accounts list`")
        }
    }

    /// Asks the running daemon to refresh `accountID` if it expires within `minTTLMs`, so the
    /// daemon's own timers, other clients and this command share one refresh. `nil` means no
    /// daemon serving this qwen directory took the request (none runs, it is preparing to
    /// sleep, it does not know the account yet), and the refresh is done here under the locks.
    ///
    /// - Throws: ``CommandFailure`` with exit 4 when the daemon found the login refused.
    private func throughDaemon(accountID: String, minTTLMs: Int64) throws(CommandFailure) -> RefreshOutcome? {
        switch ControlClient.refresh(accountID: accountID, when: .ifExpiringWithin(.milliseconds(minTTLMs)), at: settings.socketPath) {
        case nil: return nil
        case .done(let id, true, let expiryMs): return .refreshed(accountID: id, expiresAtMs: expiryMs)
        case .done(let id, false, let expiryMs): return .alreadyFresh(accountID: id, expiresAtMs: expiryMs)
        case .failed(let id, let message): return .transientFailure(accountID: id, reason: message, retryAfterMs: nil)
        case .loginRequired(let id, let message):
            throw CommandFailure("login required: \(message); run `qwen-sync login --account \(id)`", exitCode: TokenCommand.loginRequiredExitCode)
        }
    }

    /// The named or active account, if its login can still be used.
    private func usableAccount(_ reference: String?, in state: CredentialState) throws -> StoredAccount {
        let account: StoredAccount
        if let reference {
            account = try state.account(named: reference)
        } else {
            guard let active = state.accounts.activeAccount else {
                throw CommandFailure(
                    state.accounts.accounts.isEmpty
                        ? "login required: no account; run `qwen-sync login`"
                        : "login required: no active account; choose one with `qwen-sync accounts use ID`",
                    exitCode: TokenCommand.loginRequiredExitCode)
            }
            account = active
        }
        if account.state(nowMs: WallClock.nowMs()) == .authInvalid {
            throw CommandFailure(
                "login required: the server refused the login of \(account.id); run `qwen-sync login --account \(account.id)`",
                exitCode: TokenCommand.loginRequiredExitCode)
        }
        return account
    }
}
