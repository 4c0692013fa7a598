import ArgumentParser
import Glibc
import QwenOAuth
import QwenSyncCore
import QwenSyncDaemon

/// `qwen-sync login`: the OAuth device authorization grant with PKCE.
struct LoginCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Add or update an account with the OAuth device flow (works over SSH).",
        discussion: "Shows the verification URL, the user code and a QR code; opens a browser only when a display is available."
    )

    @OptionGroup var global: GlobalOptions
    @Flag(name: .customLong("no-browser"), help: "Never open a browser.") var noBrowser = false
    @Option(help: "A name for the account (shown by list and status; usable instead of the id).") var label: String?
    @Flag(name: .customLong("no-activate"), help: "Add the account without making it active.") var noActivate = false

    func run() throws {
        let settings = try global.settings()
        let signals = SignalSource()
        let presenter = TerminalLoginPresenter(openBrowser: !noBrowser, interactive: isatty(1) == 1)
        let grant: TokenGrant
        do {
            grant = try DeviceLogin(client: OAuthClient(configuration: settings.oauthConfiguration))
                .run(presenter: presenter, cancelDescriptor: signals.descriptor)
        } catch .cancelled {
            throw CommandFailure("login cancelled", exitCode: 130)
        } catch {
            throw CommandFailure("login failed: \(error)")
        }
        let nowMs = WallClock.nowMs()
        let credentials = OAuthCredentials(
            accessToken: grant.accessToken,
            refreshToken: grant.refreshToken ?? "",
            tokenType: grant.tokenType,
            expiryDate: grant.expiryDate(nowMilliseconds: nowMs),
            resourceURL: grant.resourceURL,
            idToken: grant.idToken
        )
        guard !credentials.refreshToken.isEmpty else { throw CommandFailure("login failed: the server sent no refresh token") }
        let (id, created): (String, Bool) = try CommandFailure.wrap {
            try CredentialStore(settings: settings).transaction { state in
                let outcome = state.adopt(credentials, nowMs: nowMs)
                state.accounts.update(id: outcome.id) { account in
                    account.setToken(credentials, nowMs: nowMs)
                    account.resetHealth(nowMs: nowMs)
                }
                if let label { state.sidecar.notes[outcome.id, default: .init()].label = label }
                if !noActivate || state.accounts.activeAccountID == nil { state.activate(outcome.id) }
                return (outcome.id, outcome.created)
            }
        }
        print("\(created ? "Added" : "Updated") account \(id)\(label.map { " (\($0))" } ?? "")\(noActivate ? "" : "; it is active now").")
    }
}

/// Shows the device login on the terminal.
struct TerminalLoginPresenter: DeviceLoginPresenter {
    let openBrowser: Bool
    let interactive: Bool

    func show(_ authorization: DeviceAuthorization, qrText: String?) {
        print("Qwen OAuth device login\n")
        print("Open this URL and confirm the code:\n\n  \(authorization.browserURL)\n\n  Code: \(authorization.userCode)\n")
        if let qrText { print(qrText) }
        if openBrowser {
            let opener = BrowserOpener()
            if opener.hasDisplay, opener.open(authorization.browserURL) != nil { print("(opened in your browser)") }
        }
        print("Waiting for approval… (Ctrl-C cancels)")
    }

    func waiting(secondsLeft: Int) {
        let text = "  expires in \(secondsLeft / 60)m \(String(format2: Int64(secondsLeft % 60)))s"
        if interactive {
            let bytes = Array(("\r" + text + "   ").utf8)
            _ = bytes.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
        }
    }

    func finished(_ error: DeviceFlowError?) {
        if interactive { print("") }
    }
}
