import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// `qwen-sync-serve` run for real: the official `openai` Python client in front, the chat
/// stand-in (`Fixtures/chat-standin.py`) and the OAuth stand-in behind, real accounts files.
@Suite("serve, end to end with the openai client", .serialized)
struct ServeEndToEndTests {
    static let fixtures = PathNormalizer.directory(of: #filePath) + "/Fixtures"

    /// Three accounts (`a` active, `b`, `c`) whose API host is the chat stand-in.
    struct Fixture {
        let directory: TemporaryDirectory
        let oauth: StandInServer
        let chat: ChildProcess
        let chatPort: UInt16
        let serve: ChildProcess
        let servePort: UInt16
        let key: String
        let ids: [String: String]

        var qwenDir: String { directory.appending("qwen") }
        var baseURL: String { "http://127.0.0.1:\(servePort)/v1" }
        var socketPath: String { directory.appending("serve.sock") }
        var settings: Settings { get throws { try Settings.resolve(qwenDir: qwenDir, environment: ProcessEnvironment([:])) } }

        static func make(accounts: [String] = ["a", "b", "c"], expiresInMs: Int64 = 3_600_000, log: String = "stderr") async throws -> Fixture {
            let directory = try TemporaryDirectory()
            let oauth = try await StandInServer.start()
            let chat = try ChildProcess("/usr/bin/env", ["python3", ServeEndToEndTests.fixtures + "/chat-standin.py"], stdout: nil)
            guard let line = await chat.readLine(timeoutMs: 30_000), line.hasPrefix("PORT "), let chatPort = UInt16(line.dropFirst(5)) else {
                throw TestSupportError("the chat stand-in announced no port: \(chat.errorOutput)")
            }
            // Refreshed tokens name the chat stand-in as their API host too.
            try oauth.configure(["resource_url": .string("http://127.0.0.1:\(chatPort)")])
            let settings = try Settings.resolve(qwenDir: directory.appending("qwen"), environment: ProcessEnvironment([:]))
            try SecureFile.ensureDirectory(settings.qwenDirectory)
            var ids: [String: String] = [:]
            for name in accounts {
                let refreshToken = try oauth.seed(sub: "user-\(name)", email: "\(name)@example.com")
                let credentials = OAuthCredentials(
                    accessToken: "at-\(name)-SECRET", refreshToken: refreshToken, expiryDate: WallClock.nowMs() + expiresInMs,
                    resourceURL: "http://127.0.0.1:\(chatPort)")
                try CredentialStore(settings: settings).transaction { state in
                    let id = StoredAccount.makeID(nowMs: WallClock.nowMs()) + name
                    state.accounts.add(StoredAccount(id: id, token: credentials, nowMs: WallClock.nowMs()))
                    ids[name] = id
                    if name == accounts.first { _ = state.activate(id) }
                }
            }
            let serve = try ChildProcess(
                BuiltProducts.path(of: "qwen-sync-serve"), [],
                environment: [
                    "QWEN_HOME": settings.qwenDirectory, "QWEN_SYNC_SOCKET": directory.appending("ctl.sock"),
                    "QWEN_SYNC_OAUTH_BASE_URL": oauth.baseURL, "QWEN_SYNC_SERVE_PORT": "0",
                    "QWEN_SYNC_SERVE_SOCKET": directory.appending("serve.sock"), "QWEN_SYNC_SERVE_BACKOFF_MS": "10,10",
                    "QWEN_SYNC_SERVE_IDLE_EXIT": "0", "QWEN_SYNC_LOG": log,
                    "QWEN_CLI_PATH": ServeEndToEndTests.fixtures + "/../../QwenExecTests/Fixtures/fake-qwen",
                    "FAKE_QWEN_ANSWER": "from the CLI",
                ],
                stdout: nil, stderr: directory.appending("serve.err"))
            let prefix = "LISTENING http://127.0.0.1:"
            guard let announced = await serve.readLine(timeoutMs: 30_000), announced.hasPrefix(prefix),
                let servePort = UInt16(announced.dropFirst(prefix.count).prefix { $0.isNumber })
            else { throw TestSupportError("qwen-sync-serve announced no port: \(serve.errorOutput)") }
            let key = try #require(try SecureFile.read(settings.qwenDirectory + "/qwen-sync-serve.key")).bytes
            return Fixture(
                directory: directory, oauth: oauth, chat: chat, chatPort: chatPort, serve: serve, servePort: servePort,
                key: String(decoding: key, as: UTF8.self).trimmingASCIIWhitespace(), ids: ids)
        }

        /// Runs one scenario of `openai-scenarios.py` and returns what the client saw.
        func client(_ scenario: String, _ text: String? = nil, key: String? = nil) async throws -> JSONObject {
            let outcome = try await runProduct(
                "/usr/bin/env",
                ["python3", ServeEndToEndTests.fixtures + "/openai-scenarios.py", baseURL, key ?? self.key, scenario] + (text.map { [$0] } ?? []))
            #expect(outcome.exitCode == 0, "\(outcome.standardError)")
            return try #require(try JSON.parse(outcome.standardOutput).objectValue, "\(outcome.standardOutput) \(outcome.standardError)")
        }

        /// Injects upstream faults by token prefix (`at-a` …).
        func faults(_ faults: JSONValue) throws {
            _ = try LoopbackHTTPClient.send(port: chatPort, method: "POST", path: "/admin/faults", body: Array(faults.serialized(.compact).utf8))
        }

        /// What the chat stand-in was asked.
        func upstreamRequests() throws -> [JSONObject] {
            let stats = try LoopbackHTTPClient.send(port: chatPort, method: "GET", path: "/admin/stats").json()
            return (stats.objectValue?["requests"]?.arrayValue ?? []).compactMap(\.objectValue)
        }

        func state() throws -> CredentialState { try CredentialStore(settings: settings).read() }

        func tearDown() {
            serve.kill()
            chat.kill()
            oauth.stop()
            directory.remove()
        }
    }

    @Test("chat: the answer comes from the active account, with the DashScope headers, max_tokens capped and reasoning stripped")
    func chat() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        let answer = try await fixture.client("chat", "ping")
        #expect(answer["content"]?.stringValue == "echo:a:ping")
        #expect(answer["usage"]?.int64Value == 5)
        let request = try #require(try fixture.upstreamRequests().first)
        #expect(request["auth_type"]?.stringValue == "qwen-oauth")
        #expect(request["cache_control"]?.stringValue == "enable")
        #expect(request["user_agent"]?.stringValue?.hasPrefix("QwenCode/") == true)
        #expect(request["dashscope_user_agent"] == request["user_agent"])
        #expect(request["max_tokens"]?.int64Value == 65_536)
        #expect(request["body_keys"]?.arrayValue?.contains(.string("reasoning_effort")) == false)
        let models = try await fixture.client("models")
        #expect(models["models"] == ["coder-model", "vision-model"])
    }

    @Test("stream: chunks reach the client before the upstream finishes, with the usage chunk")
    func stream() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        _ = try LoopbackHTTPClient.send(port: fixture.chatPort, method: "POST", path: "/admin/config", body: Array(#"{"chunk_delay_ms": 300}"#.utf8))
        let answer = try await fixture.client("stream", "one two three four five")
        #expect(answer["content"]?.stringValue == "echo:a:one two three four five")
        let usage = answer["usage"]?.int64Value
        #expect(usage == 8, "3 prompt tokens and 5 words")
        let first = try #require(answer["first_chunk_ms"]?.int64Value)
        let total = try #require(answer["total_ms"]?.int64Value)
        // Five words 300 ms apart: the first chunk arrives at least a second before the last.
        #expect(total - first >= 1_000, "first chunk at \(first) ms, end at \(total) ms")
    }

    @Test(
        "the journal gets one serve entry per request: account, model, status, retries, fallback, duration; no payload, no token",
        .enabled(if: JournaldFixture.unavailableReason == nil, "needs root, journalctl and a journald (running, or /lib/systemd/systemd-journald)")
    )
    func journal() async throws {
        let journald = try await JournaldFixture()
        let fixture = try await Fixture.make(log: "journal")
        defer { fixture.tearDown() }
        try fixture.faults(["at-a": ["429-quota"]])
        let answer = try await fixture.client("chat", "payload-text")
        #expect(answer["content"]?.stringValue == "echo:b:payload-text")
        let malformed = try await fixture.client("malformed")
        #expect(malformed["status"]?.int64Value == 400)
        let entries = try await journald.entries(matching: ["QWEN_EVENT=serve", "_PID=\(fixture.serve.pid)"], atLeast: 2)
        #expect(entries.count == 2)
        let chat = try #require(entries.first { $0["QWEN_STATUS"] == "200" })
        #expect(chat["QWEN_ACCOUNT"] == fixture.ids["b"])
        #expect(chat["QWEN_MODEL"] == "coder-model")
        #expect(chat["QWEN_RETRIES"] == "1")
        #expect(chat["QWEN_FALLBACK"] == "false")
        #expect(chat["QWEN_DURATION_MS"].flatMap { Int($0) } != nil)
        #expect(entries.contains { $0["QWEN_STATUS"] == "400" })
        for entry in entries {
            for value in entry.values {
                #expect(!value.contains("SECRET") && !value.contains("payload-text") && !value.contains(fixture.key), "\(entry)")
            }
        }
    }

    @Test("a client that goes away mid-stream cancels the upstream request")
    func disconnect() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        _ = try LoopbackHTTPClient.send(port: fixture.chatPort, method: "POST", path: "/admin/config", body: Array(#"{"chunk_delay_ms": 200}"#.utf8))
        let words = (1...100).map { "w\($0)" }.joined(separator: " ")
        let abandoned = try await fixture.client("abandon", words)
        #expect(abandoned["first"]?.stringValue == "echo:a:w1")
        // 100 words 200 ms apart would take 20 s: the stand-in sees the connection dropped long before.
        let deadline = WallClock.monotonicMs() + 10_000
        var disconnects: Int64 = 0
        while disconnects == 0 && WallClock.monotonicMs() < deadline {
            let stats = try LoopbackHTTPClient.send(port: fixture.chatPort, method: "GET", path: "/admin/stats").json()
            disconnects = stats.objectValue?["disconnects"]?.int64Value ?? 0
            if disconnects == 0 { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(disconnects == 1)
    }

    @Test("401: one forced refresh of the account under the locks, then the retry succeeds")
    func refreshOn401() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        try fixture.faults(["at-a": ["401"]])
        let answer = try await fixture.client("chat", "after refresh")
        #expect(answer["content"]?.stringValue?.hasSuffix(":after refresh") == true, "\(answer)")
        #expect(answer["content"]?.stringValue?.hasPrefix("echo:b") == false, "the refreshed account answers")
        #expect(try fixture.oauth.counter("refresh_requests") == 1)
        let account = try #require(try fixture.state().accounts.account(id: fixture.ids["a"]!))
        #expect(account.token.accessToken != "at-a-SECRET")
        #expect(try fixture.state().accounts.activeAccountID == fixture.ids["a"])
    }

    @Test("quota (429 and 403) on two accounts: both marked exhausted, the third answers, and becomes active")
    func quotaFailover() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        try fixture.faults(["at-a": ["429-quota"], "at-b": ["403-quota"]])
        let answer = try await fixture.client("chat", "third time")
        #expect(answer["content"]?.stringValue == "echo:c:third time")
        let state = try fixture.state()
        let nowMs = WallClock.nowMs()
        #expect(state.accounts.account(id: fixture.ids["a"]!)?.state(nowMs: nowMs) == .cooldown)
        #expect(state.accounts.account(id: fixture.ids["b"]!)?.state(nowMs: nowMs) == .cooldown)
        #expect(state.accounts.account(id: fixture.ids["c"]!)?.state(nowMs: nowMs) == .healthy)
        #expect(state.accounts.activeAccountID == fixture.ids["c"])
        #expect(try fixture.upstreamRequests().map { $0["token_account"]?.stringValue } == ["a", "b", "c"])
    }

    @Test("every account out of quota: text goes to the qwen CLI, an image gets 429 insufficient_quota")
    func allExhausted() async throws {
        let fixture = try await Fixture.make(accounts: ["a"])
        defer { fixture.tearDown() }
        try fixture.faults(["at-a": ["429-quota"]])
        let image = try await fixture.client("image")
        #expect(image["error"]?.stringValue == "RateLimitError")
        #expect(image["status"]?.int64Value == 429)
        #expect(image["code"]?.stringValue == "insufficient_quota")
        #expect(image["message"]?.stringValue?.contains("images") == true)
        // The account now cools down: a text request is answered by the CLI stand-in, streamed.
        let text = try await fixture.client("stream", "hello")
        #expect(text["content"]?.stringValue == "from the CLI", "\(text)")
    }

    @Test("a wrong key is AuthenticationError; a malformed body is BadRequestError; unknown routes and big bodies get OpenAI errors")
    func badInput() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        let wrongKey = try await fixture.client("chat", "x", key: "qsk-wrong")
        #expect(wrongKey["error"]?.stringValue == "AuthenticationError")
        let malformed = try await fixture.client("malformed")
        #expect(malformed["error"]?.stringValue == "BadRequestError")
        #expect(try fixture.upstreamRequests().isEmpty)

        let auth = [("Authorization", "Bearer \(fixture.key)")]
        let unknown = try LoopbackHTTPClient.send(port: fixture.servePort, method: "GET", path: "/v1/nothing", headers: auth)
        #expect(unknown.status == 404)
        #expect(try unknown.json().objectValue?["error"]?.objectValue?["type"]?.stringValue == "invalid_request_error")
        let big = try LoopbackHTTPClient.send(
            port: fixture.servePort, method: "POST", path: "/v1/chat/completions", headers: auth, body: [UInt8](repeating: 0x20, count: 9 << 20))
        #expect(big.status == 413)
        let garbage = try LoopbackHTTPClient.send(port: fixture.servePort, method: "POST", path: "/v1/chat/completions", headers: auth, body: Array("{".utf8))
        #expect(garbage.status == 400)
        let health = try LoopbackHTTPClient.send(port: fixture.servePort, method: "GET", path: "/healthz", headers: auth)
        #expect(health.status == 200)
    }

    @Test("upstream garbage is 502; a 500 is retried on the same account")
    func upstreamFaults() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        try fixture.faults(["at-a": ["500"]])
        let retried = try await fixture.client("chat", "again")
        #expect(retried["content"]?.stringValue == "echo:a:again")
        try fixture.faults(["at-a": ["garbage"]])
        let garbage = try await fixture.client("chat", "x")
        #expect(garbage["status"]?.int64Value == 502, "\(garbage)")
        #expect(try fixture.state().accounts.activeAccountID == fixture.ids["a"])
    }

    @Test("the Unix socket serves the same user without a key")
    func unixSocket() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        var status = stat()
        #expect(stat(fixture.socketPath, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o600)
        let outcome = try await runProduct("/usr/bin/curl", ["-s", "--unix-socket", fixture.socketPath, "http://localhost/v1/models"])
        #expect(outcome.standardOutput.contains("coder-model"), "\(outcome.standardOutput) \(outcome.standardError)")
    }

    @Test("100 concurrent streams, all meeting a revoked token: every answer is its own, one refresh in all")
    func concurrentStreams() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        // The active account's token is revoked: every request meets a 401 at first, and all of
        // them must share one refresh.
        _ = try LoopbackHTTPClient.send(port: fixture.chatPort, method: "POST", path: "/admin/config", body: Array(#"{"revoked": ["at-a-SECRET"]}"#.utf8))
        let result = try await fixture.client("many", "100")
        #expect(result["mixed"] == [], "\(result)")
        #expect(try fixture.oauth.counter("refresh_requests") == 1)
        #expect(try fixture.oauth.counter("dead_token_reuse") == 0)
    }
}

/// `qwen-sync serve` itself: the hand-over to `qwen-sync-serve`, `--print-env`, the key file
/// and the exit after the quiet period.
@Suite("serve command")
struct ServeCommandTests {
    @Test("--print-env creates the key (0600) once and prints lines a shell can eval; the same key every time")
    func printEnv() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let environment: [String: String?] = [
            "QWEN_HOME": directory.appending("qwen"), "QWEN_SYNC_SOCKET": directory.appending("ctl.sock"),
        ]
        let first = try await runProduct("qwen-sync", ["serve", "--print-env", "--port", "9123"], environment: environment)
        #expect(first.exitCode == 0, "\(first.standardError)")
        let keyPath = directory.appending("qwen/qwen-sync-serve.key")
        var status = stat()
        #expect(stat(keyPath, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o600)
        let key = String(decoding: try #require(try SecureFile.read(keyPath)).bytes, as: UTF8.self).trimmingASCIIWhitespace()
        #expect(key.hasPrefix("qsk-") && key.count == 68)
        let script = #"eval "$(cat)"; printf '%s|%s' "$OPENAI_BASE_URL" "$OPENAI_API_KEY""#
        let shell = try await runProduct("/bin/sh", ["-c", script], input: Array(first.standardOutput.utf8))
        #expect(shell.standardOutput == "http://127.0.0.1:9123/v1|\(key)")
        let second = try await runProduct("qwen-sync", ["serve", "--print-env", "--port", "9123"], environment: environment)
        #expect(second.standardOutput == first.standardOutput)
    }

    @Test("bad options are usage errors", arguments: [["--port", "0"], ["--port", "70000"], ["--idle-exit", "-1"], ["--host", ""]])
    func usage(_ arguments: [String]) async throws {
        let outcome = try await runProduct("qwen-sync", ["serve"] + arguments)
        #expect(outcome.exitCode == 2, "\(outcome.standardError)")
    }

    @Test("the endpoint exits by itself after the quiet period and removes its socket")
    func idleExit() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let socket = directory.appending("serve.sock")
        let serve = try ChildProcess(
            BuiltProducts.path(of: "qwen-sync-serve"), [],
            environment: [
                "QWEN_HOME": directory.appending("qwen"), "QWEN_SYNC_SOCKET": directory.appending("ctl.sock"),
                "QWEN_SYNC_SERVE_PORT": "0", "QWEN_SYNC_SERVE_SOCKET": socket, "QWEN_SYNC_SERVE_IDLE_EXIT": "1",
            ],
            stdout: nil)
        let line = await serve.readLine(timeoutMs: 30_000)
        #expect(line?.hasPrefix("LISTENING http://127.0.0.1:") == true)
        #expect(await serve.waitForExit(timeoutMs: 30_000) == 0)
        #expect(access(socket, F_OK) != 0)
    }
}
