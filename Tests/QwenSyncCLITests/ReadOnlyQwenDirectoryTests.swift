import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

private let setprivPath: String? = ["/usr/bin/setpriv", "/bin/setpriv"].first { (path: String) in access(path, X_OK) == 0 }

/// Check before you spend (issue 22): as an ordinary user whose `~/.qwen` is read-only, `login`
/// refuses before it contacts the server, with a fix that works; a write that fails after the
/// server issued the tokens keeps them for `accounts restore`. Runs `qwen-sync` as nobody
/// (65534) through setpriv, since root writes anywhere.
@Suite(
    "a read-only qwen directory, as an unprivileged user",
    .enabled(if: geteuid() == 0 && setprivPath != nil, "needs root and setpriv to run qwen-sync as nobody")
)
struct ReadOnlyQwenDirectoryTests {
    static let nobody: uid_t = 65534

    /// A home of nobody's with a `.qwen` in it, and a stand-in that approves a login only when told.
    struct Fixture {
        let directory: TemporaryDirectory
        let server: StandInServer

        var home: String { directory.appending("home") }
        var qwenDir: String { home + "/.qwen" }
        var stateHome: String { home + "/.local/state" }

        static func make() async throws -> Fixture {
            let directory = try TemporaryDirectory()
            chmod(directory.path, 0o755)
            let server = try await StandInServer.start(arguments: ["--interval", "1", "--pending-polls", "1000"])
            let fixture = Fixture(directory: directory, server: server)
            for path in [fixture.home, fixture.qwenDir] {
                #expect(mkdir(path, 0o700) == 0)
                #expect(chown(path, nobody, nobody) == 0)
            }
            return fixture
        }

        /// Runs `qwen-sync` (or, with `command`, another program) as nobody.
        func run(_ arguments: [String], command: String? = nil) async throws -> ProcessOutcome {
            let program = command ?? BuiltProducts.path(of: "qwen-sync")
            return try await runProduct(
                try #require(setprivPath), ["--reuid", "65534", "--regid", "65534", "--clear-groups", program] + arguments,
                environment: [
                    "HOME": home, "QWEN_HOME": nil, "XDG_STATE_HOME": nil, "XDG_RUNTIME_DIR": nil,
                    "QWEN_SYNC_SOCKET": home + "/ctl.sock", "QWEN_SYNC_OAUTH_BASE_URL": server.baseURL,
                ])
        }

        /// The first command in backquotes in `message` for which `matches` holds, as arguments.
        static func command(in message: String, where matches: (_ before: Substring, _ command: Substring) -> Bool) throws -> [String] {
            let parts = message.split(separator: "`", omittingEmptySubsequences: false)
            let index = try #require(stride(from: 1, to: parts.count, by: 2).first { matches(parts[$0 - 1], parts[$0]) }, "no command in: \(message)")
            return parts[index].split(separator: " ").map(String.init)
        }

        func tearDown() {
            server.stop()
            directory.remove()
        }
    }

    @Test("login refuses before the device flow, and its fix makes the login work")
    func loginRefusesBeforeSpending() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        chmod(fixture.qwenDir, 0o500)

        let refused = try await fixture.run(["login", "--no-browser"])
        #expect(refused.exitCode == 1)
        #expect(refused.standardError.contains("cannot create files in \(fixture.qwenDir)"), "\(refused.standardError)")
        #expect(refused.standardError.contains("the device login was not started"), "\(refused.standardError)")
        #expect(try fixture.server.counter("device_code_requests") == 0, "the server was contacted")

        // doctor sees the same, the way a writer would.
        let doctor = try await fixture.run(["doctor"])
        #expect(doctor.standardOutput.contains("cannot create files in \(fixture.qwenDir)"), "\(doctor.standardOutput)")

        // The fix, run as printed, makes the login possible.
        let fix = try Fixture.command(in: refused.standardError) { before, _ in before.hasSuffix("Fix: ") }
        #expect(fix == ["chmod", "700", fixture.qwenDir])
        let fixed = try await fixture.run(Array(fix.dropFirst()), command: "/bin/chmod")
        #expect(fixed.exitCode == 0, "\(fixed.standardError)")
        _ = try fixture.server.configure(["pending_polls": 0])
        let login = try await fixture.run(["login", "--no-browser"])
        #expect(login.exitCode == 0, "\(login.standardError)")
        #expect(try fixture.server.counter("successful_logins") == 1)
    }

    @Test("a write that fails after the server issued the tokens keeps them outside ~/.qwen, and `accounts restore` stores them")
    func unsavedLoginIsKept() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        async let login = fixture.run(["login", "--no-browser", "--label", "work"])
        // The probe has passed once the device code was asked for: now the directory turns
        // read-only, and only then does the server approve.
        #expect(try await eventually { try fixture.server.counter("device_code_requests") == 1 })
        chmod(fixture.qwenDir, 0o500)
        _ = try fixture.server.configure(["pending_polls": 0])
        let failed = try await login
        #expect(failed.exitCode == 1)
        #expect(try fixture.server.counter("successful_logins") == 1)
        let keptPath = fixture.stateHome + "/qwen-sync/qwen-sync-recovered.json"
        #expect(failed.standardError.contains("the new login is kept in \(keptPath)"), "\(failed.standardError)")
        #expect(!failed.standardError.contains("SECRET"))
        var status = stat()
        #expect(stat(keptPath, &status) == 0 && status.st_mode & 0o777 == 0o600)

        let listed = try await fixture.run(["accounts", "restore"])
        #expect(listed.standardOutput.contains("unsaved login"), "\(listed.standardOutput)")

        // The printed command, once the directory is writable again, stores the login.
        let command = try Fixture.command(in: failed.standardError) { _, command in command.hasPrefix("qwen-sync ") }.dropFirst()
        #expect(chmod(fixture.qwenDir, 0o700) == 0)
        let restored = try await fixture.run(Array(command))
        #expect(restored.exitCode == 0, "\(restored.standardError)")
        // Read as the files are (a store read here, as root, refuses files another user owns).
        let accounts = try AccountsDocument(bytes: try #require(try SecureFile.read(fixture.qwenDir + "/oauth_accounts.json")).bytes)
        let sidecar = SidecarDocument(bytes: try #require(try SecureFile.read(fixture.qwenDir + "/qwen-sync-accounts.json")).bytes)
        #expect(accounts.accounts.count == 1)
        #expect(accounts.accounts.first.flatMap { sidecar.label(of: $0.id) } == "work")
        #expect(try fixture.server.liveRefreshTokens(sub: "user-1").contains(accounts.accounts.first?.token.refreshToken ?? ""))
        let after = try await fixture.run(["accounts", "restore"])
        #expect(after.standardOutput.contains("No refresh token is kept"), "\(after.standardOutput)")
    }
}
