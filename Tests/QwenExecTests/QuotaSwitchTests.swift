import Logging
import QwenExec
import QwenSyncCore
import QwenSyncTestSupport
import Testing

@Suite("Quota errors: switch account, retry once, over the real accounts store")
struct QuotaSwitchTests {
    /// One hour, the cooldown most tests use.
    private static let cooldownMs: Int64 = 3_600_000
    /// 2100-01-01T00:00:00Z, a cooldown end that does not pass during a test.
    private static let year2100: Int64 = 4_102_444_800_000

    private let request = ExecFixture.request([ExecFixture.user("hi")]).serializedBytes()

    /// A runner with the real broker over `accounts`; the stand-in CLI answers with a quota
    /// error while `oauth_creds.json` holds one of `quotaAccounts`' access tokens.
    private func runner(_ fixture: ExecFixture, _ accounts: AccountsStoreFixture, quotaAccounts: [String]) -> ExecRunner {
        var environment = ProcessEnvironment.current
        environment.variables["QWEN_CLI_PATH"] = ExecFixture.fakeQwen
        environment.variables["FAKE_QWEN_RECORD"] = fixture.recordPath
        environment.variables["FAKE_QWEN_QUOTA_TOKENS"] = quotaAccounts.map(AccountsStoreFixture.accessToken).joined(separator: ",")
        environment.variables["FAKE_QWEN_MODE"] = "echo"
        return ExecRunner(
            configuration: ExecConfiguration(qwenDirectory: fixture.qwenDirectory, environment: environment, timeout: .seconds(30)),
            broker: StoreAccountBroker(store: accounts.store),
            logger: Logger(label: "qwen-sync-test")
        )
    }

    /// `seeds` by name, healthy unless given a cooldown.
    private func seeds(_ names: String...) -> [AccountsStoreFixture.Seed] {
        names.map { AccountsStoreFixture.Seed(name: $0) }
    }

    @Test("a quota error marks the account, activates the next one round-robin, mirrors it and retries")
    func switchAndRetry() throws {
        let fixture = try ExecFixture(accessToken: nil)
        defer { fixture.remove() }
        let accounts = try AccountsStoreFixture(qwenDirectory: fixture.qwenDirectory, cooldownMs: Self.cooldownMs)
        let ids = try accounts.create(seeds("a", "b", "c"), active: "b")

        let before = WallClock.nowMs()
        let result = runner(fixture, accounts, quotaAccounts: ["b"]).run(request: request)
        let after = WallClock.nowMs()

        #expect(result.exitCode == 0, "\(result.standardOutput)")
        let completion = try #require(try JSON.parse(result.standardOutput).objectValue)
        #expect(completion["object"] == "chat.completion")
        #expect(completion["choices"]?.arrayValue?.first?.objectValue?["message"] == ["role": "assistant", "content": "pong"])

        let exhausted = try accounts.entry(ids["b"]!)
        let until = try #require(exhausted["exhaustedUntil"]?.int64Value)
        #expect(until >= before + Self.cooldownMs && until <= after + Self.cooldownMs)
        #expect(exhausted["lastErrorCode"] == "insufficient_quota")
        for name in ["a", "c"] {
            let entry = try accounts.entry(ids[name]!)
            #expect(entry["exhaustedUntil"] == 0 && entry["lastErrorCode"] == nil, "\(name)")
        }
        // c follows b in store order; a (first in the store) is not what round-robin picks.
        #expect(try accounts.activeAccountID() == ids["c"])
        let credentials = try accounts.credentialsFile()
        #expect(credentials["access_token"] == .string(AccountsStoreFixture.accessToken("c")))
        #expect(credentials["refresh_token"] == "refresh-c")
        #expect(try accounts.credentialsMode() == 0o600)
        // The retry ran with the same prompt (the record is the last run's).
        #expect(try fixture.recordedStandardInput() == Array("hi".utf8))
    }

    @Test("a second quota error in a row is not retried again; the next healthy account is left active")
    func twoQuotaErrorsInARow() throws {
        let fixture = try ExecFixture(accessToken: nil)
        defer { fixture.remove() }
        let accounts = try AccountsStoreFixture(qwenDirectory: fixture.qwenDirectory, cooldownMs: Self.cooldownMs)
        let ids = try accounts.create(seeds("a", "b", "c"), active: "c")

        let before = WallClock.nowMs()
        let result = runner(fixture, accounts, quotaAccounts: ["c", "a"]).run(request: request)

        #expect(result.exitCode == 6, "\(result.standardOutput)")
        let error = try ExecFixture.error(in: result.standardOutput)
        #expect(error["code"] == "insufficient_quota")
        #expect(error["type"] == "insufficient_quota")
        // c was active, round-robin wrapped to a, and both are now cooling down.
        for name in ["c", "a"] {
            let entry = try accounts.entry(ids[name]!)
            #expect(try #require(entry["exhaustedUntil"]?.int64Value) >= before + Self.cooldownMs, "\(name)")
            #expect(entry["lastErrorCode"] == "insufficient_quota", "\(name)")
        }
        #expect(try accounts.entry(ids["b"]!)["exhaustedUntil"] == 0)
        #expect(try accounts.activeAccountID() == ids["b"])
        #expect(try accounts.credentialsFile()["access_token"] == .string(AccountsStoreFixture.accessToken("b")))
    }

    @Test("when every account ends up exhausted, exit 5 names the earliest cooldown end")
    func allExhausted() throws {
        let fixture = try ExecFixture(accessToken: nil)
        defer { fixture.remove() }
        let cooldown: Int64 = 7_200_000
        let accounts = try AccountsStoreFixture(qwenDirectory: fixture.qwenDirectory, cooldownMs: cooldown)
        let ids = try accounts.create(
            [.init(name: "a"), .init(name: "b"), .init(name: "c", exhaustedUntil: Self.year2100)],
            active: "a"
        )

        let before = WallClock.nowMs()
        let result = runner(fixture, accounts, quotaAccounts: ["a", "b"]).run(request: request)

        #expect(result.exitCode == 5, "\(result.standardOutput)")
        let error = try ExecFixture.error(in: result.standardOutput)
        #expect(error["code"] == "no_healthy_account")
        let ends = try ["a", "b", "c"].map { try #require(try accounts.entry(ids[$0]!)["exhaustedUntil"]?.int64Value) }
        #expect(ends[0] >= before + cooldown && ends[1] >= ends[0] && ends[2] == Self.year2100)
        let message = try #require(error["message"]?.stringValue)
        #expect(message.contains("all 3 accounts are cooling down after quota errors: wait until"), "\(message)")
        #expect(message.contains("(\(ends[0]) ms)"), "\(message)")
    }

    @Test("with nothing healthy from the start, exit 5 without running the CLI")
    func noneHealthy() throws {
        let fixture = try ExecFixture(accessToken: nil)
        defer { fixture.remove() }
        let accounts = try AccountsStoreFixture(qwenDirectory: fixture.qwenDirectory, cooldownMs: Self.cooldownMs)
        let ids = try accounts.create(
            [.init(name: "a", exhaustedUntil: Self.year2100 + 100_000), .init(name: "b", exhaustedUntil: Self.year2100)],
            active: "a"
        )

        let result = runner(fixture, accounts, quotaAccounts: []).run(request: request)

        #expect(result.exitCode == 5)
        let message = try ExecFixture.error(in: result.standardOutput)["message"]?.stringValue ?? ""
        #expect(message.contains("2100-01-01T00:00:00Z (\(Self.year2100) ms)"), "\(message)")
        #expect(!fixture.cliWasSpawned)
        #expect(try accounts.entry(ids["a"]!)["exhaustedUntil"] == .int(Self.year2100 + 100_000))
    }

    @Test("with no accounts store, a valid oauth_creds.json is adopted as the first account")
    func adoptsCredentials() throws {
        let fixture = try ExecFixture(accessToken: "token-a")
        defer { fixture.remove() }
        let accounts = try AccountsStoreFixture(qwenDirectory: fixture.qwenDirectory, cooldownMs: Self.cooldownMs)

        let result = runner(fixture, accounts, quotaAccounts: []).run(request: request)

        #expect(result.exitCode == 0, "\(result.standardOutput)")
        let store = try accounts.accountsFile()
        let list = try #require(store["accounts"]?.arrayValue)
        #expect(list.count == 1)
        let adopted = try #require(list.first?.objectValue)
        let id = try #require(adopted["id"]?.stringValue)
        #expect(id.hasPrefix("acct_"))
        #expect(store["activeAccountId"] == .string(id))
        #expect(adopted["token"]?.objectValue?["access_token"] == "token-a")
        #expect(adopted["token"]?.objectValue?["refresh_token"] == "refresh-token-a")
        #expect(adopted["exhaustedUntil"] == 0)
        #expect(try accounts.credentialsFile()["access_token"] == "token-a")
    }

    @Test("tokens a client rotated in oauth_creds.json are used and kept, not replaced by the store's older copy")
    func followsRotatedCredentials() throws {
        let fixture = try ExecFixture(accessToken: nil)
        defer { fixture.remove() }
        let accounts = try AccountsStoreFixture(qwenDirectory: fixture.qwenDirectory, cooldownMs: Self.cooldownMs)
        try accounts.create(seeds("a", "b"), active: "a")
        // The qwen CLI refreshed a's tokens since (a refresh rotates both tokens).
        try fixture.writeCredentials(accessToken: "rotated-a")

        // Had the CLI run with a's old token, it would have got a quota error.
        let result = runner(fixture, accounts, quotaAccounts: ["a"]).run(request: request)

        #expect(result.exitCode == 0, "\(result.standardOutput)")
        let credentials = try accounts.credentialsFile()
        #expect(credentials["access_token"] == "rotated-a")
        #expect(credentials["refresh_token"] == "refresh-rotated-a")
        let active = try #require(try accounts.activeAccountID())
        #expect(try accounts.entry(active)["token"]?.objectValue?["refresh_token"] == "refresh-rotated-a")
    }

    @Test("an auth_invalid active account gives way to the next healthy one without being tried")
    func authInvalidActiveSkipped() throws {
        let fixture = try ExecFixture(accessToken: nil)
        defer { fixture.remove() }
        let accounts = try AccountsStoreFixture(qwenDirectory: fixture.qwenDirectory, cooldownMs: Self.cooldownMs)
        let invalidUntil = WallClock.nowMs() + Self.cooldownMs
        let ids = try accounts.create(
            [.init(name: "a", exhaustedUntil: invalidUntil, lastErrorCode: AccountErrorCode.authInvalid), .init(name: "b")],
            active: "a"
        )

        // Had the CLI run with a's token, a would have been marked insufficient_quota.
        let result = runner(fixture, accounts, quotaAccounts: ["a"]).run(request: request)

        #expect(result.exitCode == 0, "\(result.standardOutput)")
        #expect(try accounts.activeAccountID() == ids["b"])
        #expect(try accounts.credentialsFile()["access_token"] == .string(AccountsStoreFixture.accessToken("b")))
        let invalid = try accounts.entry(ids["a"]!)
        #expect(invalid["lastErrorCode"] == "auth_invalid")
        #expect(invalid["exhaustedUntil"] == .int(invalidUntil))
    }

    @Test("a quota switch skips an auth_invalid account in round-robin order")
    func authInvalidSkippedOnSwitch() throws {
        let fixture = try ExecFixture(accessToken: nil)
        defer { fixture.remove() }
        let accounts = try AccountsStoreFixture(qwenDirectory: fixture.qwenDirectory, cooldownMs: Self.cooldownMs)
        let invalidUntil = WallClock.nowMs() + Self.cooldownMs
        let ids = try accounts.create(
            [.init(name: "a"), .init(name: "b", exhaustedUntil: invalidUntil, lastErrorCode: AccountErrorCode.authInvalid), .init(name: "c")],
            active: "a"
        )

        let result = runner(fixture, accounts, quotaAccounts: ["a", "b"]).run(request: request)

        #expect(result.exitCode == 0, "\(result.standardOutput)")
        #expect(try accounts.activeAccountID() == ids["c"])
        #expect(try accounts.credentialsFile()["access_token"] == .string(AccountsStoreFixture.accessToken("c")))
        #expect(try accounts.entry(ids["a"]!)["lastErrorCode"] == "insufficient_quota")
        let invalid = try accounts.entry(ids["b"]!)
        #expect(invalid["lastErrorCode"] == "auth_invalid")
        #expect(invalid["exhaustedUntil"] == .int(invalidUntil))
    }

    @Test("qwen-sync exec: quota error, switch and retry on the real files")
    func endToEndSwitch() async throws {
        let fixture = try ExecFixture(accessToken: nil)
        defer { fixture.remove() }
        let accounts = try AccountsStoreFixture(qwenDirectory: fixture.qwenDirectory, cooldownMs: Self.cooldownMs)
        let ids = try accounts.create(seeds("a", "b"), active: "a")

        let before = WallClock.nowMs()
        let outcome = try await fixture.exec(
            ExecFixture.request([ExecFixture.user("hello there")]),
            environment: [
                "FAKE_QWEN_QUOTA_TOKENS": AccountsStoreFixture.accessToken("a"),
                "OPENCODE_QWEN_QUOTA_COOLDOWN_MS": "\(Self.cooldownMs)",
            ]
        )
        let after = WallClock.nowMs()

        #expect(outcome.exitCode == 0, "\(outcome.standardOutput)\(outcome.standardError)")
        #expect(try JSON.parse(outcome.standardOutput).objectValue?["object"] == "chat.completion")
        let exhausted = try accounts.entry(ids["a"]!)
        let until = try #require(exhausted["exhaustedUntil"]?.int64Value)
        #expect(until >= before + Self.cooldownMs && until <= after + Self.cooldownMs)
        #expect(exhausted["lastErrorCode"] == "insufficient_quota")
        #expect(try accounts.activeAccountID() == ids["b"])
        #expect(try accounts.credentialsFile()["access_token"] == .string(AccountsStoreFixture.accessToken("b")))
        #expect(try fixture.recordedStandardInput() == Array("hello there".utf8))
        #expect(outcome.standardError.contains("switched account"), "\(outcome.standardError)")
        for name in ["a", "b"] {
            #expect(!outcome.standardError.contains(AccountsStoreFixture.accessToken(name)), "no token in the log")
            #expect(!outcome.standardError.contains("refresh-\(name)"), "no token in the log")
        }
    }

    @Test("qwen-sync exec: every account out of quota exits 5 with the earliest cooldown end")
    func endToEndAllExhausted() async throws {
        let fixture = try ExecFixture(accessToken: nil)
        defer { fixture.remove() }
        let accounts = try AccountsStoreFixture(qwenDirectory: fixture.qwenDirectory, cooldownMs: Self.cooldownMs)
        let ids = try accounts.create(seeds("a", "b"), active: "b")

        let outcome = try await fixture.exec(
            ExecFixture.request([ExecFixture.user("hi")]),
            environment: [
                "FAKE_QWEN_QUOTA_TOKENS": ["a", "b"].map(AccountsStoreFixture.accessToken).joined(separator: ","),
                "OPENCODE_QWEN_QUOTA_COOLDOWN_MS": "\(Self.cooldownMs)",
            ]
        )

        #expect(outcome.exitCode == 5, "\(outcome.standardOutput)")
        let error = try ExecFixture.error(in: outcome.standardOutput)
        #expect(error["code"] == "no_healthy_account")
        // b was tried first, so its cooldown ends first.
        let first = try #require(try accounts.entry(ids["b"]!)["exhaustedUntil"]?.int64Value)
        let second = try #require(try accounts.entry(ids["a"]!)["exhaustedUntil"]?.int64Value)
        #expect(first > 0 && first <= second)
        #expect(error["message"]?.stringValue?.contains("(\(first) ms)") == true, "\(outcome.standardOutput)")
    }
}
