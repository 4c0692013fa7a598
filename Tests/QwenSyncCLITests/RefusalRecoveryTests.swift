import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// A refusal is evidence, not a verdict (issue 22): a wrong client id, a 400 without a code and
/// an HTML 502 cost no account, and the right configuration refreshes every account again
/// without presenting a rotated-out token. Real `qwen-sync` processes against the stand-in.
@Suite("refusals are evidence, not verdicts")
struct RefusalRecoveryTests {
    /// Two accounts, `a` (active) and `b`, whose refresh tokens the stand-in accepts.
    struct Fixture {
        let directory: TemporaryDirectory
        let server: StandInServer

        var qwenDir: String { directory.appending("qwen") }

        func environment(clientID: String? = nil) -> [String: String?] {
            [
                "QWEN_HOME": qwenDir, "QWEN_SYNC_SOCKET": directory.appending("ctl.sock"), "QWEN_SYNC_OAUTH_BASE_URL": server.baseURL,
                "QWEN_SYNC_OAUTH_CLIENT_ID": clientID,
            ]
        }

        static func make() async throws -> Fixture {
            let directory = try TemporaryDirectory()
            let server = try await StandInServer.start()
            let fixture = Fixture(directory: directory, server: server)
            let settings = try fixture.settings()
            try SecureFile.ensureDirectory(settings.qwenDirectory)
            for (sub, label) in [("user-1", "a"), ("user-2", "b")] {
                let credentials = OAuthCredentials(
                    accessToken: TestTokens.jwt(["sub": .string(sub), "email": .string("\(sub)@example.com")]), refreshToken: try server.seed(sub: sub),
                    expiryDate: WallClock.nowMs() + 60_000, resourceURL: "portal.qwen.ai")
                try CredentialsFile.write(credentials, to: settings.credentialsPath)
                let imported = try await fixture.run(["accounts", "import", "--label", label])
                #expect(imported.exitCode == 0, "\(imported.standardError)")
            }
            let state = try fixture.state()
            #expect(state.accounts.accounts.count == 2)
            #expect(state.accounts.activeAccount.flatMap { state.sidecar.label(of: $0.id) } == "a")
            return fixture
        }

        func settings() throws -> Settings { try Settings.resolve(qwenDir: qwenDir, environment: ProcessEnvironment([:])) }

        func run(_ arguments: [String], clientID: String? = nil) async throws -> ProcessOutcome {
            try await runProduct("qwen-sync", arguments, environment: environment(clientID: clientID))
        }

        func state() throws -> CredentialState { try CredentialStore(settings: settings()).read() }

        func refreshRequests() throws -> Int64 { try server.counter("refresh_requests") }

        /// Every account is there, healthy, with a token the stand-in holds live, and no
        /// rotated-out token was ever presented.
        func expectRecovered(_ context: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let state = try state()
            #expect(state.accounts.accounts.count == 2, "\(context): accounts lost", sourceLocation: sourceLocation)
            let live = try ["user-1", "user-2"].flatMap { try server.liveRefreshTokens(sub: $0) }
            for account in state.accounts.accounts {
                #expect(account.state(nowMs: WallClock.nowMs()) == .healthy, "\(context): \(account.id) not healthy", sourceLocation: sourceLocation)
                #expect(live.contains(account.token.refreshToken), "\(context): \(account.id) holds a dead token", sourceLocation: sourceLocation)
            }
            #expect(try server.counter("dead_token_reuse") == 0, "\(context): a rotated-out token was presented", sourceLocation: sourceLocation)
        }

        func tearDown() {
            server.stop()
            directory.remove()
        }
    }

    @Test("a mistyped client id: every account refused the same way, the configuration is named, nothing lost; the right one refreshes all")
    func wrongClientID() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        let activeBefore = try fixture.state().accounts.activeAccountID

        let wrong = try await fixture.run(["refresh", "--all"], clientID: "f0304373-typo")
        #expect(wrong.exitCode == 1)
        #expect(wrong.standardError.contains("the configuration is the likely cause"), "\(wrong.standardError)")
        #expect(wrong.standardError.contains("client id f0304373-typo"), "\(wrong.standardError)")
        #expect(wrong.standardError.contains(fixture.server.tokenURL), "\(wrong.standardError)")
        #expect(!wrong.standardError.contains("SECRET"))
        var state = try fixture.state()
        #expect(state.accounts.activeAccountID == activeBefore, "a refusal that may be the configuration's must not switch accounts")
        #expect(state.accounts.accounts.count == 2)
        let sent = try fixture.refreshRequests()
        #expect(sent == 2)

        // Under the same wrong configuration the refused tokens are not presented again by themselves.
        let again = try await fixture.run(["refresh", "--all"], clientID: "f0304373-typo")
        #expect(try fixture.refreshRequests() == sent, "\(again.standardError)")
        #expect(again.exitCode == 1)
        #expect(again.standardError.contains("nothing was sent"), "\(again.standardError)")

        let right = try await fixture.run(["refresh", "--all"])
        #expect(right.exitCode == 0, "\(right.standardError)")
        state = try fixture.state()
        #expect(state.accounts.activeAccountID == activeBefore)
        try fixture.expectRecovered("after the right client id")
        #expect(try fixture.server.counter("successful_refreshes") == 2)
    }

    @Test("a daemon started with the right client id presents at once the tokens refused under the wrong one")
    func daemonAfterWrongClientID() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        let wrong = try await fixture.run(["refresh", "--all"], clientID: "f0304373-typo")
        #expect(wrong.exitCode == 1)
        #expect(try fixture.state().accounts.accounts.allSatisfy { $0.state(nowMs: WallClock.nowMs()) == .authInvalid })

        let daemon = try ChildProcess(
            BuiltProducts.path(of: "qwen-sync"), ["daemon"], environment: fixture.environment(), stderr: fixture.directory.appending("daemon.err"))
        let recovered = try await eventually { try fixture.server.counter("successful_refreshes") == 2 }
        _ = await daemon.stop()
        #expect(recovered, "the daemon did not refresh both accounts")
        try fixture.expectRecovered("after the daemon started with the right client id")
    }

    @Test("a 400 without a code: the active account stays, its token is kept, and `accounts reset` presents it again")
    func bareBadRequest() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        let activeBefore = try fixture.state().accounts.activeAccountID
        _ = try fixture.server.configure(["faults": [["kind": "status_400_bare", "grant_type": "refresh_token"]]])

        let refused = try await fixture.run(["refresh"])
        #expect(refused.exitCode == 1)
        #expect(refused.standardError.contains("a wrong configuration gives too"), "\(refused.standardError)")
        var state = try fixture.state()
        #expect(state.accounts.activeAccountID == activeBefore)
        #expect(state.accounts.activeAccount?.state(nowMs: WallClock.nowMs()) == .authInvalid)

        // Not tried again by itself under the same configuration...
        let sent = try fixture.refreshRequests()
        let skipped = try await fixture.run(["refresh", "--all"])
        #expect(try fixture.refreshRequests() == sent + 1, "only the healthy account is refreshed: \(skipped.standardError)")

        // ...but `reset` means what it prints: the next refresh presents the token again.
        let reset = try await fixture.run(["accounts", "reset", "a"])
        #expect(reset.exitCode == 0, "\(reset.standardError)")
        #expect(reset.standardOutput.contains("presented at the next refresh"), "\(reset.standardOutput)")
        let refreshed = try await fixture.run(["refresh", "a"])
        #expect(refreshed.exitCode == 0, "\(refreshed.standardError)")
        state = try fixture.state()
        #expect(state.accounts.activeAccountID == activeBefore)
        try fixture.expectRecovered("after reset")
    }

    @Test("an explicit refresh presents again a token refused before under the same configuration")
    func explicitRefreshPresentsAgain() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        _ = try fixture.server.configure(["faults": [["kind": "status_400_bare", "grant_type": "refresh_token"]]])
        let refused = try await fixture.run(["refresh", "a"])
        #expect(refused.exitCode == 1)
        let refreshed = try await fixture.run(["refresh", "a"])
        #expect(refreshed.exitCode == 0, "\(refreshed.standardError)")
        try fixture.expectRecovered("after an explicit refresh")
    }

    @Test("an HTML 502 from a gateway is no refusal: nothing is marked, the next refresh succeeds")
    func htmlBadGateway() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        _ = try fixture.server.configure(["faults": [["kind": "html_502", "grant_type": "refresh_token"]]])
        let failed = try await fixture.run(["refresh"])
        #expect(failed.exitCode == 1)
        #expect(failed.standardError.contains("will retry"), "\(failed.standardError)")
        #expect(try fixture.state().accounts.accounts.allSatisfy { $0.state(nowMs: WallClock.nowMs()) == .healthy })
        let refreshed = try await fixture.run(["refresh", "--all"])
        #expect(refreshed.exitCode == 0, "\(refreshed.standardError)")
        try fixture.expectRecovered("after the gateway recovered")
    }
}
