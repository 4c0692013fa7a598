import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// `qwen-sync token` as scripts run it: real processes, real files, the stand-in OAuth server.
@Suite("token command, end to end")
struct TokenCommandTests {
    typealias Fixture = RefreshCommandTests.Fixture

    /// The access token the stand-in last issued to `sub`.
    static func latestAccessToken(_ server: StandInServer, sub: String = "user-1") throws -> String? {
        try server.stats()["latest_access_tokens"]?.objectValue?[sub]?.stringValue
    }

    @Test("a token with more than --min-ttl left is printed bare, with a newline and nothing else, without the network")
    func bareToken() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        let outcome = try await fixture.run(["token", "--min-ttl", "30"])
        #expect(outcome.exitCode == 0, "\(outcome.standardError)")
        #expect(outcome.standardOutput == "at-SECRET-initial\n")
        #expect(outcome.standardError.isEmpty)
        #expect(try fixture.server.counter("refresh_requests") == 0)
    }

    @Test("a token about to expire is refreshed first, under the locks, and the new one is printed and stored")
    func refreshesFirst() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        // The fixture's token has 60 s left: the default --min-ttl (60 s) asks for a refresh.
        let outcome = try await fixture.run(["token"])
        #expect(outcome.exitCode == 0, "\(outcome.standardError)")
        #expect(outcome.standardError.isEmpty, "\(outcome.standardError)")
        let issued = try #require(try Self.latestAccessToken(fixture.server))
        #expect(outcome.standardOutput == issued + "\n")
        #expect(try fixture.server.counter("refresh_requests") == 1)
        let state = try fixture.state()
        #expect(state.accounts.accounts.first?.token.accessToken == issued)
        #expect(state.credentials?.accessToken == issued)
        #expect(state.credentials?.refreshToken != fixture.refreshToken)
    }

    @Test("two token processes that both need a refresh: one network refresh, both print the same new token")
    func concurrentRefresh() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        try fixture.server.configure(["faults": [["kind": "delay", "delay_ms": 1_000]]])
        async let first = fixture.run(["token"])
        async let second = fixture.run(["token"])
        let outcomes = try await [first, second]
        let issued = try #require(try Self.latestAccessToken(fixture.server))
        for outcome in outcomes {
            #expect(outcome.exitCode == 0, "\(outcome.standardError)")
            #expect(outcome.standardOutput == issued + "\n")
        }
        #expect(try fixture.server.counter("refresh_requests") == 1)
        #expect(try fixture.server.counter("dead_token_reuse") == 0)
    }

    @Test("the hot path (a plain token command line) and the parser (the same with a global option) print the same, byte for byte")
    func hotPathMatchesParser() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        for arguments in [["token", "--min-ttl", "0"], ["token", "main", "--json", "--min-ttl", "5"], ["token", "--format", "env", "--min-ttl", "1"]] {
            let plain = try await fixture.run(arguments)
            let parsed = try await fixture.run(["--qwen-dir", fixture.qwenDir] + arguments)
            #expect(plain.exitCode == 0, "\(arguments): \(plain.standardError)")
            #expect(plain.standardOutput == parsed.standardOutput && plain.exitCode == parsed.exitCode, "\(arguments)")
            #expect(plain.standardError == parsed.standardError)
        }
        let unknown = try await fixture.run(["token", "nobody", "--min-ttl", "0"])
        let unknownParsed = try await fixture.run(["--qwen-dir", fixture.qwenDir, "token", "nobody", "--min-ttl", "0"])
        #expect(unknown.exitCode == 1 && unknownParsed.exitCode == 1)
        #expect(unknown.standardError == unknownParsed.standardError && unknown.standardOutput.isEmpty)
    }

    @Test("--json, exec-credential, header and env carry the token, its expiry, the base URL and the account")
    func formats() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        let state = try fixture.state()
        let account = try #require(state.accounts.accounts.first)
        let expiresAt = UTCTimestamp.iso8601(ms: account.token.expiryDate)

        let json = try await fixture.run(["token", "--min-ttl", "0", "--json"])
        #expect(json.exitCode == 0, "\(json.standardError)")
        let object = try #require(try JSON.parse(json.standardOutput).objectValue)
        #expect(object.members.map { $0.key } == ["access_token", "token_type", "expires_at", "expiry_date", "base_url", "account"])
        #expect(object["access_token"]?.stringValue == "at-SECRET-initial")
        #expect(object["token_type"]?.stringValue == "Bearer")
        #expect(object["expires_at"]?.stringValue == expiresAt)
        #expect(object["expiry_date"]?.int64Value == account.token.expiryDate)
        #expect(object["base_url"]?.stringValue == "https://portal.qwen.ai/v1")
        #expect(object["account"]?.stringValue == account.id)
        let sameAsFormat = try await fixture.run(["token", "--min-ttl", "0", "--format", "json"])
        #expect(sameAsFormat.standardOutput == json.standardOutput)

        let credential = try await fixture.run(["token", "--min-ttl", "0", "--format", "exec-credential"])
        let document = try #require(try JSON.parse(credential.standardOutput).objectValue)
        #expect(document["apiVersion"]?.stringValue == "client.authentication.k8s.io/v1")
        #expect(document["kind"]?.stringValue == "ExecCredential")
        #expect(document["status"]?.objectValue?["token"]?.stringValue == "at-SECRET-initial")
        #expect(document["status"]?.objectValue?["expirationTimestamp"]?.stringValue == expiresAt)

        let header = try await fixture.run(["token", "--min-ttl", "0", "--format", "header"])
        #expect(header.standardOutput == "Authorization: Bearer at-SECRET-initial\n")

        // The env lines, evaluated by a real shell.
        let env = try await fixture.run(["token", "--min-ttl", "0", "--format", "env"])
        #expect(env.exitCode == 0)
        let script =
            #"eval "$(cat)"; printf '%s|%s|%s|%s|%s' "$QWEN_ACCESS_TOKEN" "$QWEN_TOKEN_TYPE" "$QWEN_TOKEN_EXPIRES_AT" "$QWEN_BASE_URL" "$QWEN_ACCOUNT""#
        let shell = try await runProduct("/bin/sh", ["-c", script], input: Array(env.standardOutput.utf8))
        #expect(shell.standardOutput == "at-SECRET-initial|Bearer|\(expiresAt)|https://portal.qwen.ai/v1|\(account.id)")
    }

    @Test("an account is chosen by label; a label nobody has is exit 1 without a token")
    func namedAccount() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        let named = try await fixture.run(["token", "main", "--min-ttl", "0"])
        #expect(named.exitCode == 0, "\(named.standardError)")
        #expect(named.standardOutput == "at-SECRET-initial\n")
        let unknown = try await fixture.run(["token", "nobody", "--min-ttl", "0"])
        #expect(unknown.exitCode == 1)
        #expect(unknown.standardOutput.isEmpty)
        RefreshCommandTests.expectNoSecrets(unknown)
    }

    @Test("no account at all is exit 4, login required, nothing on standard output")
    func noAccount() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let outcome = try await runProduct(
            "qwen-sync", ["token"],
            environment: ["QWEN_HOME": directory.appending("qwen"), "QWEN_SYNC_SOCKET": directory.appending("ctl.sock")])
        #expect(outcome.exitCode == 4)
        #expect(outcome.standardOutput.isEmpty)
        #expect(outcome.standardError.contains("login required"))
        #expect(outcome.standardError.contains("qwen-sync login"))
    }

    @Test("a refresh the server refuses is exit 4 naming the account, and so is every later call")
    func refusedRefresh() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        try fixture.server.configure(["faults": [["kind": "invalid_grant"]]])
        let refused = try await fixture.run(["token"])
        #expect(refused.exitCode == 4)
        #expect(refused.standardOutput.isEmpty)
        #expect(refused.standardError.contains("login required"))
        #expect(refused.standardError.split(separator: "\n").count == 1, "\(refused.standardError)")
        RefreshCommandTests.expectNoSecrets(refused)
        let id = try #require(try fixture.state().accounts.accounts.first).id
        #expect(refused.standardError.contains(id))
        let again = try await fixture.run(["token", "--min-ttl", "0"])
        #expect(again.exitCode == 4)
        #expect(again.standardOutput.isEmpty)
        #expect(try fixture.state().credentials != nil, "oauth_creds.json is never deleted")
    }

    @Test("a transient refresh failure while the token still lives prints it and says why on stderr, without a token")
    func transientFailure() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        try fixture.server.configure(["faults": [["kind": "status_500"]]])
        let outcome = try await fixture.run(["token"])
        #expect(outcome.exitCode == 0, "\(outcome.standardError)")
        #expect(outcome.standardOutput == "at-SECRET-initial\n")
        #expect(outcome.standardError.contains("could not refresh"))
        #expect(!outcome.standardError.contains("SECRET"))
        #expect(try fixture.state().accounts.accounts.first?.token.refreshToken == fixture.refreshToken)
    }

    @Test("bad options are usage errors (exit 2)", arguments: [["--json", "--format", "header"], ["--min-ttl", "-1"], ["--format", "yaml"]])
    func usageErrors(_ arguments: [String]) async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        let outcome = try await fixture.run(["token"] + arguments)
        #expect(outcome.exitCode == 2, "\(outcome.standardError)")
        #expect(outcome.standardOutput.isEmpty)
    }
}
