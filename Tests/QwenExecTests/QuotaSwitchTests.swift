import Logging
import QwenExec
import QwenSyncCore
import QwenSyncTestSupport
import Testing

@Suite("Quota errors: switch account, retry once")
struct QuotaSwitchTests {
    private func runner(_ fixture: ExecFixture, broker: FileAccountBroker, quotaTokens: String) -> ExecRunner {
        var environment = ProcessEnvironment.current
        environment.variables["QWEN_CLI_PATH"] = ExecFixture.fakeQwen
        environment.variables["FAKE_QWEN_RECORD"] = fixture.recordPath
        environment.variables["FAKE_QWEN_QUOTA_TOKENS"] = quotaTokens
        environment.variables["FAKE_QWEN_MODE"] = "echo"
        return ExecRunner(
            configuration: ExecConfiguration(qwenDirectory: fixture.qwenDirectory, environment: environment, timeoutSeconds: 30),
            broker: broker,
            logger: Logger(label: "qwen-sync-test")
        )
    }

    private let request = ExecFixture.request([ExecFixture.user("hi")]).serializedBytes()

    @Test("a quota error marks the account, switches to the next healthy one and retries")
    func switchAndRetry() throws {
        let fixture = try ExecFixture()
        defer { fixture.remove() }
        let broker = try FileAccountBroker(
            directory: fixture.directory.path,
            qwenDirectory: fixture.qwenDirectory,
            accounts: [("a", "token-a", 0), ("b", "token-b", 0), ("c", "token-c", 0)]
        )
        let before = FileAccountBroker.nowMs()
        let result = runner(fixture, broker: broker, quotaTokens: "token-a").run(request: request)
        #expect(result.exitCode == 0, "\(result.standardOutput)")
        #expect(try JSON.parse(result.standardOutput).objectValue?["object"] == "chat.completion")
        let state = try broker.state()
        #expect(state.active == "b")
        #expect(try #require(state.exhaustedUntil["a"]) >= before + 3_600_000)
        #expect(state.exhaustedUntil["b"] == 0 && state.exhaustedUntil["c"] == 0)
        // The retry ran with b's credentials in place and the same prompt.
        #expect(try fixture.recordedStandardInput() == Array("hi".utf8))
    }

    @Test("when every account is exhausted, exit 5 names the earliest cooldown end")
    func allExhausted() throws {
        let fixture = try ExecFixture()
        defer { fixture.remove() }
        let broker = try FileAccountBroker(
            directory: fixture.directory.path,
            qwenDirectory: fixture.qwenDirectory,
            accounts: [("a", "token-a", 0), ("b", "token-b", 0), ("c", "token-c", 4_102_444_800_000)],
            cooldownMs: 7_200_000
        )
        let result = runner(fixture, broker: broker, quotaTokens: "token-a,token-b").run(request: request)
        #expect(result.exitCode == 5)
        let error = try ExecFixture.error(in: result.standardOutput)
        #expect(error["code"] == "no_healthy_account")
        let state = try broker.state()
        let earliest = try #require(state.exhaustedUntil.values.min())
        #expect(earliest == state.exhaustedUntil["a"])
        #expect(error["message"]?.stringValue?.contains("(\(earliest) ms)") == true, "\(result.standardOutput)")
    }

    @Test("with nothing healthy from the start, exit 5 without running the CLI")
    func noneHealthy() throws {
        let fixture = try ExecFixture()
        defer { fixture.remove() }
        let broker = try FileAccountBroker(
            directory: fixture.directory.path,
            qwenDirectory: fixture.qwenDirectory,
            accounts: [("a", "token-a", 4_102_444_800_000), ("b", "token-b", 4_102_444_900_000)]
        )
        let result = runner(fixture, broker: broker, quotaTokens: "").run(request: request)
        #expect(result.exitCode == 5)
        let message = try ExecFixture.error(in: result.standardOutput)["message"]?.stringValue ?? ""
        #expect(message.contains("2100-01-01T00:00:00Z"), "\(message)")
        #expect(!fixture.cliWasSpawned)
    }

    @Test("a second quota error is not retried again; a healthy account is left active")
    func retriedOnlyOnce() throws {
        let fixture = try ExecFixture()
        defer { fixture.remove() }
        let broker = try FileAccountBroker(
            directory: fixture.directory.path,
            qwenDirectory: fixture.qwenDirectory,
            accounts: [("a", "token-a", 0), ("b", "token-b", 0), ("c", "token-c", 0)]
        )
        let result = runner(fixture, broker: broker, quotaTokens: "token-a,token-b").run(request: request)
        #expect(result.exitCode == 6)
        #expect(try ExecFixture.error(in: result.standardOutput)["code"] == "insufficient_quota")
        let state = try broker.state()
        #expect(state.active == "c")
        #expect(state.exhaustedUntil["a"]! > 0 && state.exhaustedUntil["b"]! > 0)
    }
}
