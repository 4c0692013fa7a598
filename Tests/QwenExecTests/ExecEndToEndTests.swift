import Foundation
import QwenSyncCore
import QwenSyncTestSupport
import Testing

@Suite("qwen-sync exec end to end, with a stand-in qwen CLI")
struct ExecEndToEndTests {
    @Test("a text-only request is answered with a chat.completion, run the way the spec says")
    func answered() async throws {
        let fixture = try ExecFixture()
        defer { fixture.remove() }
        let request = ExecFixture.request([
            ["role": "system", "content": "Answer tersely."],
            ExecFixture.user("first question"),
            ["role": "assistant", "content": "first answer"],
            ExecFixture.user("second question"),
        ])
        let outcome = try await fixture.exec(request, environment: ["FAKE_QWEN_ANSWER": "the answer"])
        #expect(outcome.exitCode == 0, "\(outcome.standardError)")
        let document = try #require(try JSON.parse(outcome.standardOutput).objectValue)
        #expect(document["object"] == "chat.completion")
        #expect(document["id"]?.stringValue?.hasPrefix("chatcmpl-") == true)
        #expect(document["model"] == "coder-model")
        #expect(document["created"]?.int64Value != nil)
        let choice = try #require(document["choices"]?.arrayValue?.first?.objectValue)
        #expect(choice["message"] == ["role": "assistant", "content": "the answer"])
        #expect(choice["finish_reason"] == "stop")
        #expect(document["usage"] == ["prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18])

        let arguments = try fixture.recordedArguments()
        #expect(
            arguments == [
                "--auth-type", "qwen-oauth", "--model", "coder-model", "-o", "json",
                "--max-session-turns", "1", "--approval-mode", "default", "--chat-recording=false",
            ])
        let transcript = String(decoding: try fixture.recordedStandardInput(), as: UTF8.self)
        #expect(transcript == "[User]\nfirst question\n\n[Assistant]\nfirst answer\n\n[User]\nsecond question")

        let record = try fixture.record()
        let cwd = try #require(record["cwd"]?.stringValue)
        #expect(cwd.contains("qwen-sync-exec."))
        #expect(record["cwd_entries"] == [".qwen"])
        #expect(record["project_settings"] == ["security": ["auth": ["useExternal": true]]])
        #expect(record["qwen_home"]?.stringValue == fixture.qwenDirectory)
        #expect(record["system_prompt"] == "Answer tersely.")
        #expect(record["pgid"] == record["pid"], "the CLI runs in its own process group")
        #expect(!FileManager.default.fileExists(atPath: cwd), "the scratch directory is removed")
        #expect(outcome.standardError.contains("exec finished"))
        #expect(!outcome.standardError.contains("question"), "prompt text is not logged")
        #expect(!outcome.standardError.contains("the answer"), "answer text is not logged")
    }

    /// Prompts that must reach the CLI's stdin unchanged.
    static let prompts: [String] = [
        "--help -p \"$(rm -rf /)\" `id`; exit 1",
        String(repeating: "0123456789abcdef", count: 65_536),
        everyPlane(),
    ]

    @Test("odd, huge and all-plane prompts pass unchanged to the CLI's stdin, never argv", arguments: prompts.indices)
    func promptPassesUnchanged(index: Int) async throws {
        let fixture = try ExecFixture()
        defer { fixture.remove() }
        let text = Self.prompts[index]
        let outcome = try await fixture.exec(ExecFixture.request([ExecFixture.user(text)]))
        #expect(outcome.exitCode == 0, "\(outcome.standardOutput)")
        #expect(try fixture.recordedStandardInput() == Array(text.utf8))
        let arguments = try fixture.recordedArguments()
        #expect(!arguments.contains { $0.contains(text.prefix(16)) })
    }

    @Test("each non-text part is refused with exit 4 and nothing is spawned", arguments: ["image_url", "input_audio", "file", "video", "image", "mystery"])
    func nonTextRefused(type: String) async throws {
        let fixture = try ExecFixture()
        defer { fixture.remove() }
        let request = ExecFixture.request([
            ExecFixture.user("earlier"),
            ["role": "assistant", "content": "ok"],
            ["role": "user", "content": [["type": "text", "text": "look"], .object(JSONObject([("type", .string(type)), (type, ["url": "x"])]))]],
        ])
        let outcome = try await fixture.exec(request)
        #expect(outcome.exitCode == 4)
        let error = try ExecFixture.error(in: outcome.standardOutput)
        #expect(error["type"] == "invalid_request_error")
        #expect(error["code"] == "unsupported_content")
        let message = error["message"]?.stringValue ?? ""
        #expect(message.contains("messages[2].content[1]") && message.contains("\"\(type)\""))
        #expect(!fixture.cliWasSpawned)
    }

    @Test("malformed, empty, unknown-role, tool-requiring and oversized requests exit 4 without spawning")
    func malformedRefused() async throws {
        let fixture = try ExecFixture()
        defer { fixture.remove() }
        let bodies: [(String, [UInt8])] = [
            ("invalid_json", Array("{\"messages\": [".utf8)),
            ("missing_messages", Array("{\"model\": \"m\"}".utf8)),
            ("unsupported_role", Array("{\"messages\": [{\"role\": \"oracle\", \"content\": \"hi\"}]}".utf8)),
            ("tool_call_required", Array("{\"tool_choice\": \"required\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}".utf8)),
            ("request_too_large", Array(repeating: 0x20, count: (8 << 20) + 1)),
        ]
        for (code, body) in bodies {
            let outcome = try await fixture.exec(body)
            #expect(outcome.exitCode == 4, "\(code)")
            #expect(try ExecFixture.error(in: outcome.standardOutput)["code"]?.stringValue == code)
        }
        #expect(!fixture.cliWasSpawned)
    }

    @Test("optional tools are ignored and said so on stderr; --input and --model are honoured")
    func optionalToolsAndInputFile() async throws {
        let fixture = try ExecFixture()
        defer { fixture.remove() }
        let request = ExecFixture.request([ExecFixture.user("hi")], extra: [("tools", [["type": "function", "function": ["name": "f"]]])])
        let file = fixture.directory.appending("request.json")
        try Data(request.serializedBytes()).write(to: URL(fileURLWithPath: file))
        let outcome = try await fixture.exec([], arguments: ["--input", file, "--model", "qwen3-coder-plus"])
        #expect(outcome.exitCode == 0, "\(outcome.standardOutput)")
        #expect(outcome.standardError.contains("note: ignored \"tools\""))
        #expect(try JSON.parse(outcome.standardOutput).objectValue?["model"] == "qwen3-coder-plus")
        #expect(try fixture.recordedArguments().contains("qwen3-coder-plus"))
    }

    /// CLI behaviours and the error code `exec` must report for each, all exit 6.
    static let failures: [(String, String)] = [
        ("garbage", "invalid_cli_output"),
        ("tools53", "model_wanted_tools"),
        ("auth", "auth_failed"),
        ("error", "cli_failed"),
        ("huge", "cli_output_too_large"),
        ("login-box", "auth_failed"),
    ]

    @Test("CLI failures map to exit 6 with a clear error", arguments: failures.indices)
    func cliFailure(index: Int) async throws {
        let (mode, code) = Self.failures[index]
        let fixture = try ExecFixture()
        defer { fixture.remove() }
        // A long timeout: the login box must stop the run early, not the timeout.
        let outcome = try await fixture.exec(ExecFixture.request([ExecFixture.user("hi")]), mode: mode, arguments: ["--timeout", "60"])
        #expect(outcome.exitCode == 6, "\(mode): \(outcome.standardOutput)")
        let error = try ExecFixture.error(in: outcome.standardOutput)
        #expect(error["code"]?.stringValue == code, "\(mode): \(outcome.standardOutput)")
        if mode == "login-box" || mode == "huge" {
            #expect(await processEnds(try fixture.recordedPID()))
        }
    }

    @Test("the timeout ends the CLI and its grandchildren", arguments: ["hang", "grandchild", "stubborn"])
    func timeout(mode: String) async throws {
        let fixture = try ExecFixture()
        defer { fixture.remove() }
        let grandchild = fixture.directory.appending("grandchild.pid")
        let outcome = try await fixture.exec(
            ExecFixture.request([ExecFixture.user("hi")]),
            mode: mode == "stubborn" ? "hang" : mode,
            // Long enough for the stand-in CLI to start and record its pid on a busy machine.
            arguments: ["--timeout", "15"],
            environment: ["FAKE_QWEN_GRANDCHILD_PID": grandchild, "FAKE_QWEN_IGNORE_TERM": mode == "stubborn" ? "1" : nil]
        )
        #expect(outcome.exitCode == 6)
        let error = try ExecFixture.error(in: outcome.standardOutput)
        #expect(error["code"] == "cli_timeout")
        #expect(error["message"]?.stringValue?.contains("15 s") == true)
        #expect(await processEnds(try fixture.recordedPID()))
        if mode == "grandchild" {
            let text = try String(contentsOfFile: grandchild, encoding: .utf8)
            let grandchildPID = try #require(Int32(text))
            #expect(await processEnds(grandchildPID), "grandchild \(grandchildPID) still runs")
        }
    }

    @Test("a quota error with no other account exits 5 with the cooldown end")
    func quotaWithSingleAccount() async throws {
        let fixture = try ExecFixture()
        defer { fixture.remove() }
        let outcome = try await fixture.exec(
            ExecFixture.request([ExecFixture.user("hi")]), mode: "quota", environment: ["OPENCODE_QWEN_QUOTA_COOLDOWN_MS": "3600000"])
        #expect(outcome.exitCode == 5)
        let error = try ExecFixture.error(in: outcome.standardOutput)
        #expect(error["code"] == "no_healthy_account")
        #expect(error["message"]?.stringValue?.contains("cooling down after quota errors: wait until 20") == true, "\(outcome.standardOutput)")
    }

    @Test("no credentials exits 5 before spawning; a missing CLI exits 6")
    func missingPieces() async throws {
        let fixture = try ExecFixture(accessToken: nil)
        defer { fixture.remove() }
        let noAccount = try await fixture.exec(ExecFixture.request([ExecFixture.user("hi")]))
        #expect(noAccount.exitCode == 5)
        #expect(!fixture.cliWasSpawned)
        try fixture.writeCredentials(accessToken: "token-a")
        let noCLI = try await fixture.exec(ExecFixture.request([ExecFixture.user("hi")]), environment: ["QWEN_CLI_PATH": "/nonexistent/qwen"])
        #expect(noCLI.exitCode == 6)
        #expect(try ExecFixture.error(in: noCLI.standardOutput)["code"] == "cli_not_found")
    }

    @Test("\"stream\": true gives SSE chunks that end in data: [DONE]")
    func streamGrammar() async throws {
        let fixture = try ExecFixture()
        defer { fixture.remove() }
        let answer = "multi\nline\n\ndata: not an event"
        let request = ExecFixture.request(
            [ExecFixture.user("hi")],
            extra: [("stream", true), ("stream_options", ["include_usage": true])]
        )
        let outcome = try await fixture.exec(request, environment: ["FAKE_QWEN_ANSWER": answer])
        #expect(outcome.exitCode == 0)
        let parsed = try checkSSEGrammar(outcome.standardOutput)
        #expect(parsed.content == answer)
        #expect(parsed.usage?["completion_tokens"] == 7)
    }

    @Test("the official openai Python client parses the stream and the completion")
    func openAIClient() async throws {
        let fixture = try ExecFixture()
        defer { fixture.remove() }
        let answer = "Hello,\nworld — ünïcödé 🐉"
        let outcome = try await runProduct(
            "/usr/bin/env",
            ["python3", ExecFixture.openAIClientCheck, BuiltProducts.path(of: "qwen-sync")],
            environment: fixture.environment(mode: "echo", ["FAKE_QWEN_ANSWER": answer, "QWEN_SYNC_LOG_LEVEL": "error"])
        )
        if outcome.exitCode == 3 {
            // Without the package, the strict grammar check above stands in (CI installs it).
            withKnownIssue("the openai package is not installed (python3 -m pip install openai)") {
                Issue.record(Comment(rawValue: outcome.standardError))
            }
            return
        }
        #expect(outcome.exitCode == 0, "\(outcome.standardError)")
        let result = try #require(try JSON.parse(outcome.standardOutput).objectValue)
        let stream = try #require(result["stream"]?.objectValue)
        #expect(stream["content"] == .string(answer))
        #expect(stream["finish_reasons"] == ["stop"])
        #expect(stream["ids"]?.arrayValue?.count == 1)
        #expect(stream["usage"]?.objectValue?["total_tokens"] == 18)
        let completion = try #require(result["completion"]?.objectValue)
        #expect(completion["content"] == .string(answer))
        #expect(completion["role"] == "assistant")
        #expect(completion["finish_reason"] == "stop")
        #expect(completion["object"] == "chat.completion")
    }

    /// Text with a character from every Unicode plane in use, plus controls and combining marks.
    static func everyPlane() -> String {
        let scalars: [UInt32] = [
            0x41, 0x0A, 0x09, 0x7F, 0xE9, 0x301, 0x4E2D, 0xFEFF, 0xFFFD,  // plane 0
            0x1F409, 0x10000, 0x1D11E,  // plane 1
            0x20000, 0x2A6D6,  // plane 2
            0x30000, 0x3134A,  // plane 3
            0xE0001, 0xE0041,  // plane 14
            0xF0000, 0xFFFFD,  // plane 15
            0x100000, 0x10FFFD,  // plane 16
        ]
        return String(String.UnicodeScalarView(scalars.compactMap(Unicode.Scalar.init)))
    }
}
