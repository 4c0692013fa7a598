import Foundation
import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Synchronization

/// A running `qwen-oauth-standin` process, for tests that need an OAuth server.
///
/// ```swift
/// let server = try await StandInServer.start(arguments: ["--pending-polls", "1"])
/// defer { server.stop() }
/// try server.seed(sub: "user-1", refreshToken: "rt-SECRET-seed")
/// // point the code under test at server.baseURL ...
/// #expect(try server.counter("dead_token_reuse") == 0)
/// ```
/// The process gets `--exit-on-stdin-eof`, so it also ends when the test process dies.
/// Admin calls block briefly on a loopback socket.
final class StandInServer: Sendable {
    /// `http://127.0.0.1:<port>`, the base URL to give an OAuth client.
    let baseURL: String
    /// The listening port.
    let port: UInt16
    /// The child's process id.
    let pid: pid_t

    private struct ChildState {
        var inputWriter: Int32
        var outputReader: Int32
        var exitCode: Int32?
    }

    private let child: Mutex<ChildState>

    /// `<baseURL>/api/v1/oauth2/device/code`.
    var deviceCodeURL: String { baseURL + "/api/v1/oauth2/device/code" }
    /// `<baseURL>/api/v1/oauth2/token`.
    var tokenURL: String { baseURL + "/api/v1/oauth2/token" }

    private init(port: UInt16, pid: pid_t, inputWriter: Int32, outputReader: Int32) {
        self.port = port
        self.pid = pid
        baseURL = "http://127.0.0.1:\(port)"
        child = Mutex(ChildState(inputWriter: inputWriter, outputReader: outputReader))
    }

    deinit { stop() }

    /// Launches the built `qwen-oauth-standin` on an ephemeral port and waits for its URL.
    /// - Parameter arguments: extra command-line flags, such as `["--pending-polls", "0"]`.
    /// - Throws: `TestSupportError` when it cannot start or announces no URL within 10 s.
    static func start(arguments: [String] = []) async throws -> StandInServer {
        let path = BuiltProducts.path(of: "qwen-oauth-standin")
        let input = try makePipe()
        let output = try makePipe()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input.reader, STDIN_FILENO)
        posix_spawn_file_actions_adddup2(&actions, output.writer, STDOUT_FILENO)
        let argv = ([path, "--port", "0", "--exit-on-stdin-eof"] + arguments).map { strdup($0) } + [nil]
        let envp = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, envp)
        close(input.reader)
        close(output.writer)
        guard spawned == 0 else {
            close(input.writer)
            close(output.reader)
            throw TestSupportError("posix_spawn \(path) failed: errno \(spawned)")
        }
        guard let line = readLine(from: output.reader, timeoutMilliseconds: 10_000),
            line.hasPrefix("LISTENING http://127.0.0.1:"),
            let port = UInt16(line.dropFirst("LISTENING http://127.0.0.1:".count))
        else {
            let code = terminate(pid)
            close(input.writer)
            close(output.reader)
            throw TestSupportError("qwen-oauth-standin announced no URL (exit \(code))")
        }
        return StandInServer(port: port, pid: pid, inputWriter: input.writer, outputReader: output.reader)
    }

    /// Sets options at run time (`POST /__admin/config`) and returns the whole configuration.
    ///
    /// Keys: `client_id`, `scope`, `pending_polls`, `interval`, `enforce_interval`,
    /// `device_expires_in`, `expires_in`, `resource_url`, `rotate_refresh_tokens`, `login_sub`,
    /// `login_email`, `slow_down`, `deny`, `expire`, `faults`
    /// (`[{"kind": …, "count": …, "delay_ms": …, "retry_after": …, "grant_type": …}]`).
    /// - Throws: `TestSupportError` when the stand-in rejects the JSON.
    @discardableResult
    func configure(_ json: JSONValue) throws -> JSONValue {
        try admin("POST", "/__admin/config", json)
    }

    /// Creates an account with a live refresh token (`POST /__admin/seed`).
    /// - Parameters:
    ///   - sub: the account identity, as access tokens will carry it.
    ///   - email: its e-mail address (default `<sub>@example.com`).
    ///   - refreshToken: the refresh token to accept (default: a new `rt-SECRET-…` one).
    /// - Returns: the live refresh token.
    /// - Throws: `TestSupportError` when the stand-in rejects the seed.
    @discardableResult
    func seed(sub: String, email: String? = nil, refreshToken: String? = nil) throws -> String {
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
    /// - Throws: `TestSupportError` when the stand-in does not answer.
    func stats() throws -> JSONValue {
        try admin("GET", "/__admin/stats", nil)
    }

    /// One integer counter from ``stats()``, such as `"dead_token_reuse"`.
    /// - Throws: `TestSupportError` when there is no such counter.
    func counter(_ name: String) throws -> Int64 {
        guard let value = try stats().objectValue?[name]?.int64Value else {
            throw TestSupportError("no counter \(name)")
        }
        return value
    }

    /// The refresh tokens that currently work for `sub`, oldest first.
    func liveRefreshTokens(sub: String) throws -> [String] {
        let list = try stats().objectValue?["live_refresh_tokens"]?.objectValue?[sub]?.arrayValue ?? []
        return list.compactMap(\.stringValue)
    }

    /// The token-endpoint request log from ``stats()``, oldest first.
    func requestLog() throws -> [(grantType: String, result: String, client: String)] {
        (try stats().objectValue?["requests"]?.arrayValue ?? []).compactMap { entry in
            guard let object = entry.objectValue else { return nil }
            return (
                object["grant_type"]?.stringValue ?? "", object["result"]?.stringValue ?? "",
                object["client"]?.stringValue ?? ""
            )
        }
    }

    /// Stops the process with SIGTERM (SIGKILL after 5 s) and returns its exit code.
    ///
    /// Safe to call more than once; later calls return the same code.
    /// - Returns: the exit code, or 128 + the signal number.
    @discardableResult
    func stop() -> Int32 {
        child.withLock { child in
            if let code = child.exitCode { return code }
            let code = Self.terminate(pid)
            close(child.inputWriter)
            close(child.outputReader)
            child.exitCode = code
            return code
        }
    }

    /// Sends SIGTERM, waits up to 5 s (then SIGKILL), and returns the exit code.
    private static func terminate(_ pid: pid_t) -> Int32 {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        var waited: pid_t = 0
        for _ in 0..<500 {
            waited = waitpid(pid, &status, WNOHANG)
            if waited != 0 { break }
            usleep(10_000)
        }
        if waited == 0 {
            kill(pid, SIGKILL)
            waited = waitpid(pid, &status, 0)
        }
        let signal = status & 0x7F
        return waited < 0 ? -1 : (signal == 0 ? (status >> 8) & 0xFF : 128 + signal)
    }

    private func admin(_ method: String, _ path: String, _ body: JSONValue?) throws -> JSONValue {
        let reply = try LoopbackHTTPClient.send(
            port: port, method: method, path: path, headers: [("Content-Type", "application/json")],
            body: body?.serializedBytes(.compact) ?? []
        )
        guard reply.status == 200 else { throw TestSupportError("\(method) \(path): \(reply.status) \(reply.text)") }
        return try reply.json()
    }

    private static func makePipe() throws -> (reader: Int32, writer: Int32) {
        var descriptors: [Int32] = [0, 0]
        guard pipe(&descriptors) == 0 else { throw TestSupportError("pipe failed: errno \(errno)") }
        for descriptor in descriptors { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        return (descriptors[0], descriptors[1])
    }

    private static func readLine(from descriptor: Int32, timeoutMilliseconds: Int32) -> String? {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, timeoutMilliseconds) > 0 else { return nil }
            let count = read(descriptor, &byte, 1)
            if count < 0, errno == EINTR { continue }
            guard count == 1 else { return nil }
            if byte == UInt8(ascii: "\n") { return String(decoding: line, as: UTF8.self) }
            line.append(byte)
        }
    }
}
