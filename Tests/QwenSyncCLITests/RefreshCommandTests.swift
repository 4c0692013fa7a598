import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// `qwen-sync refresh` and `qwen-sync login` as real processes against the stand-in server.
@Suite("refresh and login commands, end to end")
struct RefreshCommandTests {
    /// A qwen dir holding one imported account whose refresh token the stand-in accepts.
    struct Fixture {
        let directory: TemporaryDirectory
        let server: StandInServer
        let refreshToken: String

        var qwenDir: String { directory.appending("qwen") }
        var environment: [String: String?] {
            ["QWEN_HOME": qwenDir, "QWEN_SYNC_SOCKET": directory.appending("ctl.sock"), "QWEN_SYNC_OAUTH_BASE_URL": server.baseURL]
        }

        static func make(serverArguments: [String] = []) async throws -> Fixture {
            let directory = try TemporaryDirectory()
            let server = try await StandInServer.start(arguments: serverArguments)
            let refreshToken = try server.seed(sub: "user-1")
            let settings = try Settings.resolve(qwenDir: directory.appending("qwen"), environment: ProcessEnvironment([:]))
            try SecureFile.ensureDirectory(settings.qwenDirectory)
            let credentials = OAuthCredentials(
                accessToken: "at-SECRET-initial", refreshToken: refreshToken,
                expiryDate: WallClock.nowMs() + 60_000, resourceURL: "portal.qwen.ai"
            )
            try CredentialsFile.write(credentials, to: settings.credentialsPath)
            let fixture = Fixture(directory: directory, server: server, refreshToken: refreshToken)
            let imported = try await fixture.run(["accounts", "import", "--label", "main"])
            #expect(imported.exitCode == 0, "\(imported.standardError)")
            return fixture
        }

        func run(_ arguments: [String], input: [UInt8]? = nil) async throws -> ProcessOutcome {
            try await runProduct("qwen-sync", arguments, environment: environment, input: input)
        }

        func state() throws -> CredentialState {
            try CredentialStore(settings: Settings.resolve(qwenDir: qwenDir, environment: ProcessEnvironment([:]))).read()
        }

        func tearDown() {
            server.stop()
            directory.remove()
        }
    }

    /// Every secret-looking value must stay out of what commands print.
    static func expectNoSecrets(_ outcome: ProcessOutcome, sourceLocation: SourceLocation = #_sourceLocation) {
        for text in [outcome.standardOutput, outcome.standardError] {
            #expect(!text.contains("SECRET"), "a token leaked: \(text)", sourceLocation: sourceLocation)
        }
    }

    static let transientFaults: [JSONValue] = [
        ["kind": "reset"],
        ["kind": "status_500"],
        ["kind": "status_429", "retry_after": 3],
        ["kind": "garbage"],
        ["kind": "hang"],
        // An answer long after the client's 8 s timeout: the retry below always comes first, so
        // the abandoned request (which would rotate the token) is never evaluated during the test.
        ["kind": "delay", "delay_ms": 60_000],
    ]

    @Test("two processes refreshing at once: one network refresh, both end with the new tokens")
    func concurrentRefresh() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        // The server takes a second to answer, so the second process starts while the first
        // holds the locks, as two clients refreshing at the same moment would.
        try fixture.server.configure(["faults": [["kind": "delay", "delay_ms": 1_000]]])
        async let first = fixture.run(["refresh"])
        async let second = fixture.run(["refresh"])
        let outcomes = try await [first, second]
        for outcome in outcomes {
            #expect(outcome.exitCode == 0, "\(outcome.standardError)")
            Self.expectNoSecrets(outcome)
        }
        #expect(outcomes.contains { $0.standardOutput.contains("already refreshed by another process") })
        #expect(try fixture.server.counter("refresh_requests") == 1)
        #expect(try fixture.server.counter("dead_token_reuse") == 0)
        let state = try fixture.state()
        let live = try fixture.server.liveRefreshTokens(sub: "user-1")
        #expect(live.contains(try #require(state.credentials).refreshToken))
        #expect(live.contains(try #require(state.accounts.accounts.first).token.refreshToken))
        #expect(state.credentials?.refreshToken != fixture.refreshToken)
    }

    @Test(
        "a transient fault during refresh keeps the refresh token and says so in one line",
        arguments: transientFaults
    )
    func transientFault(_ fault: JSONValue) async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        try fixture.server.configure(["faults": [fault]])
        let failed = try await fixture.run(["refresh"])
        #expect(failed.exitCode == 1)
        #expect(failed.standardError.split(separator: "\n").count == 1, "\(failed.standardError)")
        #expect(failed.standardError.contains("will retry") || failed.standardError.contains("temporary"))
        Self.expectNoSecrets(failed)
        let state = try fixture.state()
        #expect(state.credentials?.refreshToken == fixture.refreshToken)
        #expect(state.accounts.accounts.first?.token.refreshToken == fixture.refreshToken)
        #expect(state.accounts.accounts.first?.state(nowMs: WallClock.nowMs()) == .healthy)

        let retried = try await fixture.run(["refresh"])
        #expect(retried.exitCode == 0, "\(retried.standardError)")
        #expect(try fixture.server.counter("dead_token_reuse") == 0)
    }

    @Test(
        "a refusal marks the account auth_invalid, keeps oauth_creds.json and names the account",
        arguments: ["status_401", "invalid_grant"]
    )
    func terminalFault(_ kind: String) async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        try fixture.server.configure(["faults": [["kind": .string(kind), "count": 5]]])
        let failed = try await fixture.run(["refresh"])
        #expect(failed.exitCode == 1)
        #expect(failed.standardError.split(separator: "\n").count == 1, "\(failed.standardError)")
        #expect(failed.standardError.contains("qwen-sync login"))
        Self.expectNoSecrets(failed)
        let state = try fixture.state()
        #expect(state.credentialsFileExists)
        #expect(state.credentials?.refreshToken == fixture.refreshToken)
        let account = try #require(state.accounts.accounts.first)
        #expect(account.state(nowMs: WallClock.nowMs()) == .authInvalid)
        #expect(account.token.refreshToken == fixture.refreshToken)
        #expect(failed.standardError.contains(account.id))
    }

    @Test("a refusal after a peer rotated the token is retried with the peer's token")
    func terminalAfterPeerRotation() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        // A peer wrote a different refresh token for the same account into oauth_creds.json,
        // with an older expiry, so nothing adopts it before the network says no.
        let settings = try Settings.resolve(qwenDir: fixture.qwenDir, environment: ProcessEnvironment([:]))
        var credentials = try #require(fixture.state().credentials)
        credentials.refreshToken = try fixture.server.seed(sub: "user-1")
        credentials.expiryDate -= 10_000
        try CredentialsFile.write(credentials, to: settings.credentialsPath)
        try fixture.server.configure(["faults": [["kind": "invalid_grant", "count": 1]]])

        let outcome = try await fixture.run(["refresh"])
        #expect(outcome.exitCode == 0, "\(outcome.standardError)")
        #expect(try fixture.server.counter("refresh_requests") == 2)
        let state = try fixture.state()
        #expect(state.accounts.accounts.first?.state(nowMs: WallClock.nowMs()) == .healthy)
        #expect(try fixture.server.liveRefreshTokens(sub: "user-1").contains(try #require(state.credentials).refreshToken))
    }

    @Test("login end to end with slow_down, then the account is active and mirrored")
    func loginWithSlowDown() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let server = try await StandInServer.start(arguments: ["--interval", "1", "--pending-polls", "1", "--slow-down", "1"])
        defer { server.stop() }
        let environment: [String: String?] = ["QWEN_HOME": directory.appending("qwen"), "QWEN_SYNC_OAUTH_BASE_URL": server.baseURL]
        let login = try await runProduct("qwen-sync", ["login", "--no-browser", "--label", "work"], environment: environment)
        #expect(login.exitCode == 0, "\(login.standardError)")
        #expect(login.standardOutput.contains("Code: "))
        #expect(login.standardOutput.contains("/verify") || login.standardOutput.contains("http"))
        Self.expectNoSecrets(login)
        #expect(try server.counter("successful_logins") == 1)
        let list = try await runProduct("qwen-sync", ["accounts", "list", "--json"], environment: environment)
        let document = try JSON.parse(list.standardOutput)
        let account = try #require(document.objectValue?["accounts"]?.arrayValue?.first?.objectValue)
        #expect(account["label"]?.stringValue == "work")
        #expect(account["active"]?.boolValue == true)
        Self.expectNoSecrets(list)

        // Logging in again as the same identity updates the same account.
        let again = try await runProduct("qwen-sync", ["login", "--no-browser"], environment: environment)
        #expect(again.exitCode == 0, "\(again.standardError)")
        #expect(again.standardOutput.contains("Updated account"))
    }

    @Test("login denied or expired exits 1 with a clear message", arguments: ["--deny", "--expire"])
    func loginRefused(_ flag: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let server = try await StandInServer.start(arguments: ["--interval", "1", flag])
        defer { server.stop() }
        let login = try await runProduct(
            "qwen-sync", ["login", "--no-browser"],
            environment: ["QWEN_HOME": directory.appending("qwen"), "QWEN_SYNC_OAUTH_BASE_URL": server.baseURL]
        )
        #expect(login.exitCode == 1)
        #expect(login.standardError.contains(flag == "--deny" ? "denied" : "expired"), "\(login.standardError)")
        #expect(!FileTools.exists(directory.appending("qwen/oauth_creds.json")))
    }
}
