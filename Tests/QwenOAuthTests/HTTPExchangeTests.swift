import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

@testable import QwenOAuth

/// The daemon's HTTP requests in a child process: the refresh token crosses only the pipes, and
/// whatever the child does wrong is a failed request, never a hang or a crash of the caller.
@Suite("HTTP exchange in a child process")
struct HTTPExchangeTests {
    static let helper = BuiltProducts.path(of: "qwen-syncd")

    @Test("a refresh through qwen-syncd --http-exchange rotates the token like one made in-process")
    func refreshThroughTheChild() async throws {
        let server = try await StandInServer.start()
        defer { _ = server.stop() }
        let refreshToken = try server.seed(sub: "child-refresh")
        let client = OAuthClient(configuration: OAuthConfiguration(baseURL: server.baseURL, httpIsolation: .childProcess(executable: Self.helper)))
        let grant = try client.refresh(refreshToken: refreshToken)
        #expect(grant.refreshToken != nil && grant.refreshToken != refreshToken)
        #expect(try server.liveRefreshTokens(sub: "child-refresh") == [grant.refreshToken!])
        #expect(try server.counter("dead_token_reuse") == 0)
    }

    @Test("a refused connection is reported as by the in-process client")
    func refusedConnection() throws {
        let url = try ClosedPort.baseURL() + "/token"
        let inProcess = try #require(throws: HTTPTransportError.self) {
            try HTTPClient(userAgent: "t").postForm(url: url, fields: [])
        }
        let child = try #require(throws: HTTPTransportError.self) {
            try HTTPClient(userAgent: "t", isolation: .childProcess(executable: Self.helper)).postForm(url: url, fields: [])
        }
        #expect(child == inProcess)
        #expect(child.kind == .connectFailed)
    }

    @Test("the refresh token reaches the child on standard input only, never in its arguments or environment")
    func secretsOnlyOnThePipe() async throws {
        let directory = try TemporaryDirectory(prefix: "http-exchange")
        defer { directory.remove() }
        let seen = directory.appending("seen")
        let helper = try await script(
            in: directory,
            #"{ printf 'ARGS:'; printf ' %s' "$@"; printf '\nENV:\n'; env; printf 'STDIN:\n'; cat; } > "\#(seen)"; exit 3"#
        )
        let secret = "rt-SECRET-child-\(RandomHex.string(byteCount: 8))"
        #expect(throws: HTTPTransportError.self) {
            try HTTPClient(userAgent: "t", isolation: .childProcess(executable: helper))
                .postForm(url: "http://127.0.0.1:9/token", fields: [("refresh_token", secret)])
        }
        let text = try #require(try SecureFile.read(seen)).bytes
        let recorded = String(decoding: text, as: UTF8.self)
        let parts = recorded.split(separator: "STDIN:\n", maxSplits: 1, omittingEmptySubsequences: false)
        try #require(parts.count == 2, "\(recorded)")
        let (before, after) = (parts[0], parts[1])
        #expect(before.hasPrefix("ARGS: --http-exchange\n"))
        #expect(!before.contains(secret), "the token is in the child's arguments or environment")
        #expect(after.contains(secret), "the request on standard input lacks the token")
    }

    @Test(
        "a helper that misbehaves fails the request with a clear reason",
        arguments: [
            ("exit 1", HTTPTransportError.Kind.other, "failed (exit status 1)"),
            ("kill -KILL $$", .other, "failed (killed by signal 9)"),
            ("printf 'not json'", .other, "answer is malformed"),
            (#"printf '{"status":200,"headers":{},"body_bytes":10}\nabc'"#, .connectionReset, "cut short (3 of 10 body bytes)"),
            (#"printf '{"error":{"kind":"tls","description":"TLS failure with example.org"}}\n'"#, .tls, "TLS failure with example.org"),
        ])
    func misbehavingHelper(body: String, kind: HTTPTransportError.Kind, reason: String) async throws {
        let directory = try TemporaryDirectory(prefix: "http-exchange")
        defer { directory.remove() }
        let helper = try await script(in: directory, "cat > /dev/null; " + body)
        let error = try #require(throws: HTTPTransportError.self) {
            try HTTPClient(userAgent: "t", isolation: .childProcess(executable: helper)).postForm(url: "http://127.0.0.1:9/", fields: [])
        }
        #expect(error.kind == kind)
        #expect(error.description.contains(reason), "\(error.description)")
    }

    @Test("a helper that hangs is ended at the request's timeout plus the start-up allowance")
    func hangingHelper() async throws {
        let directory = try TemporaryDirectory(prefix: "http-exchange")
        defer { directory.remove() }
        let helper = try await script(in: directory, "exec sleep 60")
        let started = WallClock.monotonicMs()
        let error = try #require(throws: HTTPTransportError.self) {
            try HTTPClient(userAgent: "t", isolation: .childProcess(executable: helper))
                .postForm(url: "http://127.0.0.1:9/", fields: [], timeout: .milliseconds(500))
        }
        let elapsed = WallClock.monotonicMs() - started
        #expect(error.kind == .timedOut)
        #expect(elapsed >= 2_500 && elapsed < 10_000, "ended after \(elapsed) ms")
    }

    @Test("a missing helper: the request fails and says which file could not be started")
    func missingHelper() throws {
        let error = try #require(throws: HTTPTransportError.self) {
            try HTTPClient(userAgent: "t", isolation: .childProcess(executable: "/nonexistent/qwen-syncd")).postForm(url: "http://127.0.0.1:9/", fields: [])
        }
        #expect(error.kind == .other)
        #expect(error.description.contains("could not start the HTTP helper") && error.description.contains("/nonexistent/qwen-syncd"))
    }

    @Test("qwen-syncd --http-exchange without a valid request on standard input: exit 2 and a message")
    func helperRefusesGarbage() async throws {
        let outcome = try await runProduct("qwen-syncd", [HTTPExchange.argument], input: Array("{\"url\":1}".utf8))
        #expect(outcome.exitCode == 2)
        #expect(outcome.standardOutput.isEmpty)
        #expect(outcome.standardError.contains("expects one request object on standard input"))
    }

    @Test("the wire format carries requests, responses and errors unchanged")
    func wireRoundTrip() throws {
        let request = HTTPRequest(
            url: "https://chat.qwen.ai/api/v1/oauth2/token", fields: [("grant_type", "refresh_token"), ("b", "ü\n\"")],
            headers: ["X-A": "1"], userAgent: "qwen-sync/1", connectTimeoutMs: 3000, timeoutMs: 8000)
        #expect(HTTPExchange.decodeRequest(HTTPExchange.encode(request)) == request)
        let response = HTTPResponse(status: 429, headers: ["retry-after": "3"], body: [0, 10, 255] + Array("{}".utf8))
        #expect(try HTTPExchange.decodeResponse(HTTPExchange.encode(response)) == response)
        let error = HTTPTransportError(.timedOut, "timed out after 8 s")
        #expect(throws: error) { try HTTPExchange.decodeResponse(HTTPExchange.encode(error)) }
    }

    /// An executable shell script in `directory` running `body`.
    private func script(in directory: TemporaryDirectory, _ body: String) async throws -> String {
        let path = directory.appending("helper.sh")
        try await writeExecutableScript(path, body)
        return path
    }
}
