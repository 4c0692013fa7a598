import ArgumentParser
import Glibc
import QwenDoctor
import QwenOAuth
import QwenSyncCore
import QwenSyncDaemon

/// `qwen-sync login`: the OAuth device authorization grant with PKCE.
struct LoginCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Add or update an account with the OAuth device flow (works over SSH).",
        discussion: """
            Shows the verification URL, the user code and a QR code; opens a browser only when a \
            display is available. With --account, logs that account in again in place: same id, \
            label kept, health reset.
            """
    )

    @OptionGroup var global: GlobalOptions
    @Flag(name: .customLong("no-browser"), help: "Never open a browser.") var noBrowser = false
    @Option(help: "A name for the account (unique, no control characters; usable instead of the id).") var label: String?
    @Option(
        help: ArgumentHelp("Log this account in again (id, label, email, identity as shown, or unique id prefix).", valueName: "account"),
        completion: AccountCompletion.kind)
    var account: String?
    @Flag(name: .customLong("no-activate"), help: "Add the account without making it active.") var noActivate = false
    @Flag(help: "Print one JSON document on standard output (the login prompt goes to standard error).") var json = false

    func validate() throws { try validateLabelArgument(label) }

    func run() throws {
        let settings = try global.settings()
        // Check before you spend: a login whose tokens cannot be stored is a login lost.
        // The directory is created as storing the login would (0700); the probe then says whether it can be written.
        _ = try? SecureFile.ensureDirectory(settings.qwenDirectory)
        let store = try settings.writingStore(before: "the device login")
        // Refuse a bad --account or a taken --label before the user goes through the browser.
        let before = try CommandFailure.wrap { try store.read() }
        let targetID = try account.map { reference throws(CommandFailure) in try before.account(named: reference).id }
        if let label { try before.checkLabelIsFree(label, for: targetID, relogin: targetID == nil) }

        let credentials = try deviceLogin(settings)
        let nowMs = WallClock.nowMs()
        let result: Stored
        do {
            result = try CommandFailure.wrap {
                try store.transaction { state in
                    Self.store(credentials, into: &state, target: targetID, label: label, activate: !noActivate, nowMs: nowMs)
                }
            }
        } catch {
            throw Self.keepUnsaved(
                credentials, target: targetID, label: label, failure: error as? CommandFailure ?? CommandFailure(CommandFailure.oneLine(error)),
                settings: settings, nowMs: nowMs)
        }
        let described = result.state.describe(result.state.accounts.account(id: result.id)!)
        AuditTrail.record(.login, account: result.id, "login: \(result.created ? "added" : "logged in again") \(described)")
        if json {
            printJSON(
                .object(
                    JSONObject([
                        ("account", result.state.summary(of: result.id)), ("created", .bool(result.created)),
                        ("active", .bool(result.state.accounts.activeAccountID == result.id)),
                    ])))
        } else {
            let active = result.state.accounts.activeAccountID == result.id ? "; it is active now" : ""
            print("\(result.created ? "Added" : "Updated") account \(described)\(active).")
        }
        for warning in result.warnings { printError("warning: \(warning)") }
    }

    /// Runs the device flow and returns the new credentials.
    private func deviceLogin(_ settings: Settings) throws -> OAuthCredentials {
        let signals = SignalSource()
        let output = json ? STDERR_FILENO : STDOUT_FILENO
        let presenter = TerminalLoginPresenter(openBrowser: !noBrowser, interactive: isatty(output) == 1, output: output)
        let grant: TokenGrant
        do {
            grant = try DeviceLogin(client: OAuthClient(configuration: OAuthConfiguration(settings: settings)))
                .run(presenter: presenter, cancelDescriptor: signals.descriptor)
        } catch .cancelled {
            throw CommandFailure("login cancelled", exitCode: 130)
        } catch .transport(let transport) {
            let hint = ClosedServiceHint.hint(baseURL: settings.oauthBaseURL).map { "; \($0)" } ?? ""
            throw CommandFailure("login failed: \(DeviceFlowError.transport(transport))\(hint)")
        } catch {
            throw CommandFailure("login failed: \(error)")
        }
        let credentials = OAuthCredentials(
            accessToken: grant.accessToken,
            refreshToken: grant.refreshToken ?? "",
            tokenType: grant.tokenType,
            expiryDate: grant.expiryDate(nowMilliseconds: WallClock.nowMs()),
            resourceURL: grant.resourceURL,
            idToken: grant.idToken
        )
        guard !credentials.refreshToken.isEmpty else { throw CommandFailure("login failed: the server sent no refresh token") }
        return credentials
    }

    /// The server issued tokens that could not be stored: they are kept outside the qwen
    /// directory (``UnsavedTokens``) for `accounts restore`, and the failure says where.
    private static func keepUnsaved(
        _ credentials: OAuthCredentials, target: String?, label: String?, failure: CommandFailure, settings: Settings, nowMs: Int64
    ) -> CommandFailure {
        let entry = RecoveredTokens.Entry(
            accountID: target ?? StoredAccount.makeID(nowMs: nowMs), label: label, reason: "unsaved login", savedAtMs: nowMs, token: credentials)
        do {
            let path = try UnsavedTokens.keep(entry)
            AuditTrail.record(.keep, account: entry.accountID, "login: the new tokens could not be stored; kept in \(path)")
            return CommandFailure(
                "\(failure.description); the new login is kept in \(path): once \(settings.qwenDirectory) is writable,"
                    + " `qwen-sync accounts restore \(entry.accountID)\(target == nil ? "" : " --replace")` stores it")
        } catch {
            return CommandFailure("\(failure.description); the new tokens could not be kept either (\(error)): run `qwen-sync login` again")
        }
    }

    /// What storing a login did.
    struct Stored {
        var id: String
        var created: Bool
        var warnings: [String]
        var state: CredentialState
    }

    /// Stores a fresh login: into `target` when given (unless the login proves to be another
    /// stored identity), else into the account with the same identity or a new one. Never fails
    /// once the server has issued the tokens: a label taken meanwhile is dropped with a warning.
    static func store(
        _ credentials: OAuthCredentials, into state: inout CredentialState, target: String?, label: String?, activate: Bool, nowMs: Int64
    ) -> Stored {
        var warnings: [String] = []
        let newKey = AccountIdentity.key(forAccessToken: credentials.accessToken)
        var id: String
        var created = false
        if let target, let account = state.accounts.account(id: target),
            newKey == nil || account.identityKey == nil || account.identityKey == newKey,
            state.accounts.account(matching: credentials).map({ $0.id == target }) ?? true
        {
            id = account.id
        } else {
            if let target {
                warnings.append(
                    state.accounts.account(id: target) == nil
                        ? "\(target) was removed meanwhile; the login is stored as its own account"
                        : "the login is \(AccountIdentity.shown(accessToken: credentials.accessToken, identityKey: newKey) ?? "another identity"), not \(state.accounts.account(id: target)!.shownIdentity ?? "the identity") of \(target); it is stored as its own account"
                )
            }
            let outcome = state.adopt(credentials, nowMs: nowMs)
            id = outcome.id
            created = outcome.created
        }
        state.accounts.update(id: id) { account in
            account.setToken(credentials, nowMs: nowMs)
            account.resetHealth(nowMs: nowMs)
        }
        if let label {
            if let other = state.labelConflict(label, for: id) {
                warnings.append("the label \"\(TerminalText.escaped(label))\" was taken meanwhile by \(state.describe(other)); the account keeps no new label")
            } else {
                state.setLabel(label, of: id)
            }
        }
        if activate || state.accounts.activeAccountID == nil { state.activate(id) }
        return Stored(id: id, created: created, warnings: warnings, state: state)
    }
}

/// Shows the device login on the terminal (standard output, or standard error with `--json`).
struct TerminalLoginPresenter: DeviceLoginPresenter {
    let openBrowser: Bool
    let interactive: Bool
    let output: Int32

    func show(_ authorization: DeviceAuthorization, qrText: String?) {
        say("Qwen OAuth device login\n")
        say("Open this URL and confirm the code:\n\n  \(authorization.browserURL)\n\n  Code: \(authorization.userCode)\n")
        if let qrText { say(qrText) }
        if openBrowser {
            let opener = BrowserOpener()
            if opener.hasDisplay, opener.open(authorization.browserURL) != nil { say("(opened in your browser)") }
        }
        say("Waiting for approval… (Ctrl-C cancels)")
    }

    func waiting(secondsLeft: Int) {
        let text = "  expires in \(secondsLeft / 60)m \(String(format2: Int64(secondsLeft % 60)))s"
        if interactive { say("\r" + text + "   ", newline: false) }
    }

    func finished(_ error: DeviceFlowError?) {
        if interactive { say("") }
    }

    private func say(_ text: String, newline: Bool = true) {
        DescriptorOutput.writeAll(newline ? text + "\n" : text, to: output)
    }
}
