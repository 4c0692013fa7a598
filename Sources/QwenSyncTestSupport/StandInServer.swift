import Glibc
import QwenSyncCore

/// A running `qwen-oauth-standin` process, for tests that need an OAuth server.
///
/// ```swift
/// let server = try await StandInServer.start(arguments: ["--pending-polls", "1"])
/// defer { server.stop() }
/// try server.seed(sub: "user-1", refreshToken: "rt-SECRET-seed")
/// // point the code under test at server.baseURL ...
/// #expect(try server.counter("dead_token_reuse") == 0)
/// ```
/// The process gets `--exit-on-stdin-eof`, so it also ends when the test process dies; it is
/// stopped when the object goes away. Admin calls block briefly on a loopback socket.
public final class StandInServer: Sendable {
    /// `http://127.0.0.1:<port>`, the base URL to give an OAuth client.
    public let baseURL: String
    /// The listening port.
    public let port: UInt16
    /// The stand-in process.
    public let process: ChildProcess

    /// `<baseURL>/api/v1/oauth2/device/code`.
    public var deviceCodeURL: String { baseURL + "/api/v1/oauth2/device/code" }
    /// `<baseURL>/api/v1/oauth2/token`.
    public var tokenURL: String { baseURL + "/api/v1/oauth2/token" }

    private init(process: ChildProcess, port: UInt16) {
        self.process = process
        self.port = port
        baseURL = "http://127.0.0.1:\(port)"
    }

    deinit { stop() }

    /// Launches the built `qwen-oauth-standin` on an ephemeral port and waits for its URL.
    ///
    /// - Parameter arguments: extra command-line flags, such as `["--pending-polls", "0"]`.
    /// - Throws: ``TestSupportError`` when it cannot start or announces no URL within 30 s.
    public static func start(arguments: [String] = []) async throws -> StandInServer {
        let process = try ChildProcess(
            BuiltProducts.path(of: "qwen-oauth-standin"), ["--port", "0", "--exit-on-stdin-eof"] + arguments,
            stdout: nil, stdinPipe: true
        )
        let prefix = "LISTENING http://127.0.0.1:"
        guard let line = await process.readLine(timeoutMs: 30_000), line.hasPrefix(prefix),
            let port = UInt16(line.dropFirst(prefix.count))
        else {
            throw TestSupportError("qwen-oauth-standin announced no URL (exit \(process.terminate()))")
        }
        return StandInServer(process: process, port: port)
    }

    /// Sets options at run time (`POST /__admin/config`) and returns the whole configuration.
    ///
    /// Keys: `client_id`, `scope`, `pending_polls`, `interval`, `enforce_interval`,
    /// `device_expires_in`, `expires_in`, `resource_url`, `rotate_refresh_tokens`, `login_sub`,
    /// `login_email`, `slow_down`, `deny`, `expire`, `faults`
    /// (`[{"kind": …, "count": …, "delay_ms": …, "retry_after": …, "grant_type": …}]`).
    /// - Parameter json: the options to change.
    /// - Throws: ``TestSupportError`` when the stand-in rejects the JSON.
    @discardableResult
    public func configure(_ json: JSONValue) throws -> JSONValue {
        try admin("POST", "/__admin/config", json)
    }

    /// Creates an account with a live refresh token (`POST /__admin/seed`).
    ///
    /// - Parameters:
    ///   - sub: the account identity, as access tokens will carry it.
    ///   - email: its e-mail address (default `<sub>@example.com`).
    ///   - refreshToken: the refresh token to accept (default: a new `rt-SECRET-…` one).
    /// - Returns: the live refresh token.
    /// - Throws: ``TestSupportError`` when the stand-in rejects the seed.
    @discardableResult
    public func seed(sub: String, email: String? = nil, refreshToken: String? = nil) throws -> String {
        var body = JSONObject([("sub", .string(sub))])
        if let email { body["email"] = .string(email) }
        if let refreshToken { body["refresh_token"] = .string(refreshToken) }
        let reply = try admin("POST", "/__admin/seed", .object(body))
        guard let token = reply.objectValue?["refresh_token"]?.stringValue else {
            throw TestSupportError("seed answered without refresh_token")
        }
        return token
    }

    /// The counters, live tokens and request log (`GET /__admin/stats`).
    ///
    /// Keys: `device_code_requests`, `token_polls`, `successful_logins`, `refresh_requests`,
    /// `successful_refreshes`, `refresh_failures`, `dead_token_reuse`, `faults_served`,
    /// `emails` (sub → email), `live_refresh_tokens` (sub → [token]), `latest_access_tokens`
    /// (sub → token), `requests` (`[{"grant_type", "result", "status", "client", "fault"?}]`).
    /// - Throws: ``TestSupportError`` when the stand-in does not answer with a JSON object.
    public func stats() throws -> JSONObject {
        guard let object = try admin("GET", "/__admin/stats", nil).objectValue else {
            throw TestSupportError("stats is not a JSON object")
        }
        return object
    }

    /// One integer counter from ``stats()``, such as `"dead_token_reuse"`.
    ///
    /// - Parameter name: the counter's key.
    /// - Throws: ``TestSupportError`` when there is no such counter.
    public func counter(_ name: String) throws -> Int64 {
        guard let value = try stats()[name]?.int64Value else { throw TestSupportError("no counter \(name)") }
        return value
    }

    /// The refresh tokens that currently work for `sub`, oldest first.
    ///
    /// - Throws: ``TestSupportError`` when the stand-in does not answer.
    public func liveRefreshTokens(sub: String) throws -> [String] {
        let list = try stats()["live_refresh_tokens"]?.objectValue?[sub]?.arrayValue ?? []
        return list.compactMap(\.stringValue)
    }

    /// The token-endpoint request log from ``stats()``, oldest first.
    ///
    /// - Throws: ``TestSupportError`` when the stand-in does not answer.
    public func requestLog() throws -> [(grantType: String, result: String, client: String)] {
        try requests().map { ($0.grantType, $0.result, $0.client) }
    }

    /// One token-endpoint request as the stand-in logged it.
    public struct LoggedRequest: Sendable {
        /// `grant_type`, the outcome, the `User-Agent`.
        public let grantType: String, result: String, client: String
        /// The account whose refresh token was presented, when the token was live.
        public let sub: String?
        /// When it was answered (wall clock, ms).
        public let atMs: Int64
    }

    /// The token-endpoint request log, oldest first, with accounts and times.
    ///
    /// - Throws: ``TestSupportError`` when the stand-in does not answer.
    public func requests() throws -> [LoggedRequest] {
        (try stats()["requests"]?.arrayValue ?? []).compactMap { entry in
            guard let object = entry.objectValue else { return nil }
            return LoggedRequest(
                grantType: object["grant_type"]?.stringValue ?? "", result: object["result"]?.stringValue ?? "",
                client: object["client"]?.stringValue ?? "", sub: object["sub"]?.stringValue, atMs: object["at_ms"]?.int64Value ?? 0
            )
        }
    }

    /// Stops the process with SIGTERM (SIGKILL after 5 s) and returns its exit code.
    ///
    /// Safe to call more than once; later calls return the same code.
    /// - Returns: the exit code, or 128 + the signal number.
    @discardableResult
    public func stop() -> Int32 {
        process.terminate()
    }

    private func admin(_ method: String, _ path: String, _ body: JSONValue?) throws -> JSONValue {
        let reply = try LoopbackHTTPClient.send(
            port: port, method: method, path: path, headers: [("Content-Type", "application/json")],
            body: body?.serializedBytes(.compact) ?? []
        )
        guard reply.status == 200 else { throw TestSupportError("\(method) \(path): \(reply.status) \(reply.text)") }
        return try reply.json()
    }
}
