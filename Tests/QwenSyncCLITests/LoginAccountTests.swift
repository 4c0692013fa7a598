import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// `qwen-sync login --account` re-logs one account in place, against the stand-in server.
@Suite("login --account, end to end")
struct LoginAccountTests {
    /// A qwen dir with a claim-less account "main" (refused by the server) and a second account.
    struct Fixture {
        let directory: TemporaryDirectory
        let server: StandInServer
        let mainID: String
        let otherID: String

        var qwenDir: String { directory.appending("qwen") }
        var environment: [String: String?] {
            ["QWEN_HOME": qwenDir, "QWEN_SYNC_SOCKET": directory.appending("ctl.sock"), "QWEN_SYNC_OAUTH_BASE_URL": server.baseURL]
        }

        static func make(mainIdentity: JSONValue? = nil) async throws -> Fixture {
            let directory = try TemporaryDirectory()
            let server = try await StandInServer.start(arguments: ["--interval", "1", "--pending-polls", "0", "--login-sub", "user-1"])
            let store = CredentialStore(settings: try Settings.resolve(qwenDir: directory.appending("qwen"), environment: ProcessEnvironment([:])))
            let mainAccess = mainIdentity.map(TestTokens.jwt) ?? "opaque-access-SECRET"
            try store.transaction { state in
                let nowMs = WallClock.nowMs()
                var main = StoredAccount(
                    id: "acct_main", token: OAuthCredentials(accessToken: mainAccess, refreshToken: "rt-SECRET-dead", expiryDate: nowMs - 1000), nowMs: nowMs)
                main.markExhausted(until: nowMs + 3_600_000, code: AccountErrorCode.authInvalid, nowMs: nowMs)
                state.accounts.add(main)
                state.accounts.add(
                    StoredAccount(
                        id: "acct_other",
                        token: OAuthCredentials(accessToken: TestTokens.jwt(["sub": "user-2"]), refreshToken: "rt-SECRET-other", expiryDate: nowMs + 3_600_000),
                        nowMs: nowMs))
                state.setLabel("main", of: "acct_main")
                state.activate("acct_other")
            }
            return Fixture(directory: directory, server: server, mainID: "acct_main", otherID: "acct_other")
        }

        func run(_ arguments: [String]) async throws -> ProcessOutcome {
            try await runProduct("qwen-sync", arguments, environment: environment)
        }

        func state() throws -> CredentialState {
            try CredentialStore(settings: Settings.resolve(qwenDir: qwenDir, environment: ProcessEnvironment([:]))).read()
        }

        func tearDown() {
            server.stop()
            directory.remove()
        }
    }

    @Test("login --account LABEL keeps the id and the label, resets health, stores a live token; --json is one document")
    func reloginInPlace() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        let login = try await fixture.run(["login", "--no-browser", "--account", "main", "--json"])
        #expect(login.exitCode == 0, "\(login.standardError)")
        #expect(login.standardError.contains("Code: "), "the prompt goes to stderr with --json")
        RefreshCommandTests.expectNoSecrets(login)
        let document = try #require(try JSON.parse(login.standardOutput).objectValue)
        let account = try #require(document["account"]?.objectValue)
        #expect(account["id"] == "acct_main")
        #expect(account["label"] == "main")
        #expect(account["state"] == "healthy")
        #expect(account["identity"] == "us…-1@example.com" || account["identity"]?.stringValue?.hasPrefix("sub:") == true)
        #expect(document["created"] == false)
        #expect(document["active"] == true)

        let state = try fixture.state()
        #expect(state.accounts.accounts.map(\.id) == ["acct_main", "acct_other"], "no account was added")
        let main = try #require(state.accounts.account(id: "acct_main"))
        #expect(main.state(nowMs: WallClock.nowMs()) == .healthy)
        #expect(try fixture.server.liveRefreshTokens(sub: "user-1").contains(main.token.refreshToken))
        #expect(state.accounts.activeAccountID == "acct_main")
        #expect(state.credentials?.refreshToken == main.token.refreshToken)
        #expect(state.accounts.account(id: "acct_other")?.token.refreshToken == "rt-SECRET-other")

        // Again by id, without activating: still the same account.
        let again = try await fixture.run(["login", "--no-browser", "--account", "acct_main", "--no-activate"])
        #expect(again.exitCode == 0, "\(again.standardError)")
        #expect(again.standardOutput.contains("Updated account acct_main (\"main\", "))
        #expect(try fixture.state().accounts.accounts.count == 2)
    }

    @Test("login --account for an account of another identity keeps the login as its own account, says so, and leaves the target alone")
    func otherIdentity() async throws {
        let fixture = try await Fixture.make(mainIdentity: ["sub": "user-9"])
        defer { fixture.tearDown() }
        let before = try #require(try fixture.state().accounts.account(id: "acct_main"))
        let login = try await fixture.run(["login", "--no-browser", "--account", "main"])
        #expect(login.exitCode == 0, "\(login.standardError)")
        #expect(
            login.standardError.contains("the login is us…-1@example.com, not sub:u… of acct_main; it is stored as its own account"),
            "\(login.standardError)")
        let state = try fixture.state()
        #expect(state.accounts.accounts.count == 3)
        #expect(state.accounts.account(id: "acct_main") == before)
    }

    @Test("an unknown --account or a taken --label fails before the device flow starts")
    func refusedBeforeFlow() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        let unknown = try await fixture.run(["login", "--no-browser", "--account", "nobody"])
        #expect(unknown.exitCode == 1)
        #expect(unknown.standardError == "qwen-sync: no account matches \"nobody\"; see `qwen-sync accounts list`\n")
        let taken = try await fixture.run(["login", "--no-browser", "--label", "main"])
        #expect(taken.exitCode == 1)
        #expect(taken.standardError.contains("the label \"main\" is already taken by acct_main"))
        #expect(taken.standardError.hasSuffix("or log that account in again with `qwen-sync login --account acct_main`\n"))
        let ownLabel = try await fixture.run(["login", "--no-browser", "--account", "acct_other", "--label", "main"])
        #expect(ownLabel.exitCode == 1)
        #expect(try fixture.server.counter("device_code_requests") == 0)
    }
}
