import Foundation
import QwenExec
import QwenSyncCore
import QwenSyncTestSupport
import Testing

@Suite("qwen-sync exec keeps request text out of argv and refuses what it cannot honour")
struct ExecPrivacyTests {
    @Test("system text reaches the CLI through a 0600 file named by QWEN_SYSTEM_MD, never argv")
    func systemPromptInPrivateFile() async throws {
        let fixture = try ExecFixture()
        defer { fixture.remove() }
        let system = "SECRET-SYSTEM-\(UInt32.random(in: .min ... .max)) " + String(repeating: "rule ", count: 40_000)
        let request = ExecFixture.request([
            ["role": "system", "content": .string(system)],
            ["role": "developer", "content": "second rule"],
            ExecFixture.user("USER-TEXT-question"),
        ])
        let outcome = try await fixture.exec(request)
        #expect(outcome.exitCode == 0, "\(outcome.standardOutput) \(outcome.standardError)")

        let arguments = try fixture.recordedArguments()
        #expect(!arguments.contains("--system-prompt") && !arguments.contains("--append-system-prompt"))
        #expect(!arguments.contains { $0.contains("SECRET-SYSTEM") || $0.contains("USER-TEXT") || $0.contains("rule") })
        let record = try fixture.record()
        #expect(record["system_prompt"]?.stringValue == system + "\n\nsecond rule")
        #expect(record["system_prompt_mode"] == "0o600")
        #expect(try fixture.recordedStandardInput() == Array("USER-TEXT-question".utf8))
        #expect(!outcome.standardError.contains("SECRET-SYSTEM"))
    }

    @Test("without system messages the CLI keeps its own prompt and no file is named")
    func noSystemPrompt() async throws {
        let fixture = try ExecFixture()
        defer { fixture.remove() }
        let outcome = try await fixture.exec(ExecFixture.request([ExecFixture.user("hi")]), environment: ["QWEN_SYSTEM_MD": nil])
        #expect(outcome.exitCode == 0, "\(outcome.standardOutput)")
        #expect(try fixture.record()["system_prompt"] == .null)
    }

    /// Parameters `exec` cannot honour, with a value that asks for something.
    static let unhonourable: [(String, JSONValue)] = [
        ("max_tokens", 100),
        ("max_completion_tokens", 50),
        ("response_format", ["type": "json_object"]),
        ("response_format", ["type": "json_schema", "json_schema": ["name": "x"]]),
        ("n", 2),
        ("stop", ["END"]),
        ("stop", "END"),
        ("logprobs", true),
        ("top_logprobs", 3),
        ("logit_bias", ["42": 1]),
    ]

    @Test("a parameter it cannot honour is refused with exit 4 naming it, and nothing is spawned", arguments: unhonourable.indices)
    func unhonourableRefused(index: Int) async throws {
        let (name, value) = Self.unhonourable[index]
        let fixture = try ExecFixture()
        defer { fixture.remove() }
        let outcome = try await fixture.exec(ExecFixture.request([ExecFixture.user("hi")], extra: [(name, value)]))
        #expect(outcome.exitCode == 4, "\(name): \(outcome.standardOutput)")
        let error = try ExecFixture.error(in: outcome.standardOutput)
        #expect(error["code"] == "unsupported_parameter")
        #expect(error["param"]?.stringValue == name)
        #expect(error["message"]?.stringValue?.contains("\"\(name)\"") == true)
        #expect(!fixture.cliWasSpawned)
    }

    @Test("neutral values pass: null, false, empty stop, text response_format, n = 1")
    func neutralValuesAccepted() async throws {
        let fixture = try ExecFixture()
        defer { fixture.remove() }
        let outcome = try await fixture.exec(
            ExecFixture.request(
                [ExecFixture.user("hi")],
                extra: [
                    ("max_tokens", .null), ("logprobs", false), ("stop", []), ("response_format", ["type": "text"]), ("n", 1),
                ]))
        #expect(outcome.exitCode == 0, "\(outcome.standardOutput)")
        #expect(!outcome.standardError.contains("note:"))
    }

    @Test("sampling hints are accepted and each is named in a note on stderr")
    func samplingHintsNoted() async throws {
        let fixture = try ExecFixture()
        defer { fixture.remove() }
        let outcome = try await fixture.exec(
            ExecFixture.request(
                [ExecFixture.user("hi")],
                extra: [
                    ("temperature", 0.2), ("top_p", 0.9), ("seed", 7),
                ]))
        #expect(outcome.exitCode == 0, "\(outcome.standardOutput)")
        for name in ["temperature", "top_p", "seed"] {
            #expect(outcome.standardError.contains("note: ignored \"\(name)\""), "\(name): \(outcome.standardError)")
        }
    }

    @Test("every account refused by the server: exit 5 says to log in again, naming each account")
    func allRefusedSaysLogin() async throws {
        let fixture = try ExecFixture(accessToken: nil)
        defer { fixture.remove() }
        let accounts = try AccountsStoreFixture(qwenDirectory: fixture.qwenDirectory, cooldownMs: 60_000)
        let later = WallClock.nowMs() + 3_600_000
        let ids = try accounts.create(
            [
                .init(name: "a", exhaustedUntil: later, lastErrorCode: AccountErrorCode.authInvalid),
                .init(name: "b", exhaustedUntil: later, lastErrorCode: AccountErrorCode.authInvalid),
            ], active: "a")
        let outcome = try await fixture.exec(ExecFixture.request([ExecFixture.user("hi")]))
        #expect(outcome.exitCode == 5)
        let message = try ExecFixture.error(in: outcome.standardOutput)["message"]?.stringValue ?? ""
        #expect(message.contains("refused every account's login"), "\(message)")
        #expect(message.contains("qwen-sync login --account \(ids["a"]!)") && message.contains("qwen-sync login --account \(ids["b"]!)"))
        #expect(!message.contains("wait until"), "\(message)")
        #expect(!fixture.cliWasSpawned)
    }

    @Test("every account cooling down after quota errors: exit 5 says when to retry, not to log in")
    func allCoolingSaysWait() async throws {
        let fixture = try ExecFixture(accessToken: nil)
        defer { fixture.remove() }
        let accounts = try AccountsStoreFixture(qwenDirectory: fixture.qwenDirectory, cooldownMs: 60_000)
        try accounts.create([.init(name: "a", exhaustedUntil: 4_102_444_800_000)], active: "a")
        let outcome = try await fixture.exec(ExecFixture.request([ExecFixture.user("hi")]))
        #expect(outcome.exitCode == 5)
        let message = try ExecFixture.error(in: outcome.standardOutput)["message"]?.stringValue ?? ""
        #expect(message.contains("all 1 account is cooling down after quota errors: wait until 2100-01-01T00:00:00Z"), "\(message)")
        #expect(!message.contains("login"), "\(message)")
    }

    @Test("one refused and one cooling: the message gives both ways out")
    func mixedSaysBoth() {
        let error = NoHealthyAccountError(accountCount: 2, earliestCooldownEndMs: 4_102_444_800_000, refusedAccountIDs: ["acct_x"])
        #expect(error.description.contains("qwen-sync login --account acct_x"))
        #expect(error.description.contains("wait until 2100-01-01T00:00:00Z"))
        #expect(
            NoHealthyAccountError(accountCount: 0, earliestCooldownEndMs: nil, refusedAccountIDs: []).description
                .contains("run `qwen-sync login`"))
    }
}
