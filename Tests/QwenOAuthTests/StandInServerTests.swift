import Foundation
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// The loopback OAuth stand-in, driven over real sockets as a separate process.
@Suite("qwen-oauth-standin")
struct StandInServerTests {
    static let clientID = "f0304373b74a44d2b584a3fb70ca9e56"
    static let deviceGrant = "urn:ietf:params:oauth:grant-type:device_code"
    /// A PKCE pair computed independently (`openssl dgst -sha256 -binary | base64url`).
    static let verifier = "dBjftJeZ4CVP-mJ92K27uhbUJU1p1r_wW1gFWFOEjXk"
    static let challenge = "ngF5GsXcbwljx6u133FFr3Xht9xooA_DuaX_3QwODtc"
    static let otherVerifier = "xBjftJeZ4CVP-mJ92K27uhbUJU1p1r_wW1gFWFOEjXk"

    // MARK: Device flow

    @Test func deviceFlowPendsThenIssuesTokensAfterPKCECheck() async throws {
        let server = try await StandInServer.start(
            arguments: ["--interval", "0", "--login-sub", "acct-9", "--login-email", "nine@example.com"]
        )
        defer { server.stop() }
        let device = try requestDeviceCode(server)
        #expect(device.status == 200)
        let body = try #require(try device.json().objectValue)
        #expect(body.keys == ["device_code", "user_code", "verification_uri", "verification_uri_complete", "expires_in", "interval"])
        let code = try #require(body["device_code"]?.stringValue)
        #expect(code.hasPrefix("dc-SECRET-"))
        let userCode = try #require(body["user_code"]?.stringValue)
        #expect(body["verification_uri_complete"]?.stringValue?.contains(userCode) == true)

        let wrong = try poll(server, code, verifier: Self.otherVerifier)
        #expect(wrong.status == 400 && wrong.oauthError == "invalid_grant")
        for _ in 0..<2 {
            let pending = try poll(server, code)
            #expect(pending.status == 400 && pending.oauthError == "authorization_pending")
        }
        let success = try poll(server, code)
        #expect(success.status == 200)
        let tokens = try #require(try success.json().objectValue)
        #expect(tokens.keys == ["access_token", "refresh_token", "token_type", "expires_in", "scope", "resource_url"])
        #expect(tokens["token_type"] == "Bearer" && tokens["expires_in"] == 3600 && tokens["resource_url"] == "portal.qwen.ai")
        let accessToken = try #require(tokens["access_token"]?.stringValue)
        let refreshToken = try #require(tokens["refresh_token"]?.stringValue)
        #expect(accessToken.contains("at-SECRET-") && refreshToken.hasPrefix("rt-SECRET-"))
        let claims = try jwtClaims(accessToken)
        #expect(claims["sub"] == "acct-9" && claims["email"] == "nine@example.com")

        let reused = try poll(server, code)
        #expect(reused.status == 400 && reused.oauthError == "invalid_grant")
        #expect(try server.counter("successful_logins") == 1)
        #expect(try server.counter("token_polls") == 5)
        #expect(try server.counter("device_code_requests") == 1)
        #expect(try server.liveRefreshTokens(sub: "acct-9") == [refreshToken])
        let log = try server.requestLog()
        #expect(log.map(\.result) == ["invalid_grant", "authorization_pending", "authorization_pending", "success", "invalid_grant"])
        #expect(log.allSatisfy { $0.grantType == Self.deviceGrant && $0.client == "StandInTests/1.0" })
    }

    @Test func deviceCodeRequestRejectsWrongClientAndBadPKCE() async throws {
        let server = try await StandInServer.start()
        defer { server.stop() }
        let wrongClient = try requestDeviceCode(server, clientID: "nope")
        #expect(wrongClient.status == 400 && wrongClient.oauthError == "invalid_client")
        let missing = try requestDeviceCode(server, challenge: nil)
        #expect(missing.status == 400 && missing.oauthError == "invalid_request")
        let short = try requestDeviceCode(server, challenge: "abc")
        #expect(short.status == 400 && short.oauthError == "invalid_request")
        let plain = try requestDeviceCode(server, method: "plain")
        #expect(plain.status == 400 && plain.oauthError == "invalid_request")
        #expect(try server.counter("device_code_requests") == 4)
    }

    @Test func pollingFasterThanTheIntervalGetsSlowDown() async throws {
        let server = try await StandInServer.start(arguments: ["--interval", "30", "--pending-polls", "5"])
        defer { server.stop() }
        let code = try deviceCode(server)
        #expect(try poll(server, code).oauthError == "authorization_pending")
        let fast = try poll(server, code)
        #expect(fast.status == 429 && fast.oauthError == "slow_down")

        try server.configure(["enforce_interval": false, "slow_down": 1])
        let forced = try poll(server, code)
        #expect(forced.status == 429 && forced.oauthError == "slow_down")
        #expect(try poll(server, code).oauthError == "authorization_pending")
    }

    @Test func denialAndExpiryEndTheDeviceFlow() async throws {
        let server = try await StandInServer.start(arguments: ["--interval", "0"])
        defer { server.stop() }
        let code = try deviceCode(server)
        try server.configure(["deny": true])
        let denied = try poll(server, code)
        #expect(denied.status == 400 && denied.oauthError == "access_denied")
        try server.configure(["deny": false, "expire": true])
        let expired = try poll(server, code)
        #expect(expired.status == 400 && expired.oauthError == "expired_token")

        try server.configure(["expire": false, "device_expires_in": 0])
        let lapsed = try poll(server, try deviceCode(server))
        #expect(lapsed.status == 400 && lapsed.oauthError == "expired_token")
        #expect(try server.counter("successful_logins") == 0)
    }

    // MARK: Refresh

    @Test func refreshRotatesAndCountsDeadTokenReuse() async throws {
        let server = try await StandInServer.start(arguments: ["--expires-in", "7200"])
        defer { server.stop() }
        let seeded = try server.seed(sub: "user-7", email: "seven@example.com", refreshToken: "rt-SECRET-seeded")
        #expect(seeded == "rt-SECRET-seeded")

        let first = try refresh(server, seeded)
        #expect(first.status == 200)
        let tokens = try #require(try first.json().objectValue)
        #expect(tokens["expires_in"] == 7200 && tokens["token_type"] == "Bearer")
        let rotated = try #require(tokens["refresh_token"]?.stringValue)
        #expect(rotated != seeded && rotated.hasPrefix("rt-SECRET-"))
        let claims = try jwtClaims(try #require(tokens["access_token"]?.stringValue))
        #expect(claims["sub"] == "user-7" && claims["email"] == "seven@example.com")
        #expect(try server.liveRefreshTokens(sub: "user-7") == [rotated])

        let reuse = try refresh(server, seeded)
        #expect(reuse.status == 400)
        #expect(try reuse.json() == ["error": "invalid_request", "error_description": "Invalid refresh token or client_id"])
        let wrongClient = try refresh(server, rotated, clientID: "other")
        #expect(wrongClient.status == 400 && wrongClient.oauthError == "invalid_request")

        let second = try refresh(server, rotated)
        let secondToken = try #require(try second.json().objectValue?["access_token"]?.stringValue)
        #expect(second.status == 200)
        #expect(try jwtClaims(secondToken)["sub"] == "user-7")
        #expect(try server.counter("refresh_requests") == 4)
        #expect(try server.counter("successful_refreshes") == 2)
        #expect(try server.counter("refresh_failures") == 2)
        #expect(try server.counter("dead_token_reuse") == 1)
    }

    @Test func withoutRotationTheRefreshTokenIsOmittedAndStaysLive() async throws {
        let server = try await StandInServer.start(arguments: ["--no-rotate", "--resource-url", ""])
        defer { server.stop() }
        let token = try server.seed(sub: "user-1")
        for _ in 0..<2 {
            let reply = try refresh(server, token)
            #expect(reply.status == 200)
            let keys = try #require(try reply.json().objectValue?.keys)
            #expect(keys == ["access_token", "token_type", "expires_in", "scope"])
        }
        #expect(try server.liveRefreshTokens(sub: "user-1") == [token])
    }

    // MARK: Faults

    @Test(arguments: [
        ("status_500", 500, "server_error"), ("status_429", 429, "too_many_requests"),
        ("status_401", 401, "invalid_client"), ("invalid_grant", 400, "invalid_grant"),
    ])
    func statusFaultsAnswerTheNextRequestsThenClear(kind: String, status: Int, error: String) async throws {
        let server = try await StandInServer.start()
        defer { server.stop() }
        let token = try server.seed(sub: "user-1")
        try server.configure(["faults": [["kind": .string(kind), "count": 2, "retry_after": 3]]])
        for _ in 0..<2 {
            let reply = try refresh(server, token)
            #expect(reply.status == status && reply.oauthError == error)
            #expect(reply.header("Retry-After") == (kind == "status_429" ? "3" : nil))
        }
        #expect(try refresh(server, token).status == 200)
        #expect(try server.counter("faults_served") == 2)
        #expect(try server.counter("successful_refreshes") == 1)
        #expect(try server.requestLog().map(\.result) == [kind, kind, "success"])
    }

    @Test func garbageFaultAnswers200WithABodyThatIsNotJSON() async throws {
        let server = try await StandInServer.start()
        defer { server.stop() }
        let token = try server.seed(sub: "user-1")
        try server.configure(["faults": [["kind": "garbage"]]])
        let reply = try refresh(server, token)
        #expect(reply.status == 200)
        #expect(throws: JSONParseError.self) { try reply.json() }
        #expect(try server.liveRefreshTokens(sub: "user-1") == [token])
    }

    @Test func resetAndHangFaultsLeaveTheClientWithoutAResponse() async throws {
        let server = try await StandInServer.start()
        defer { server.stop() }
        let token = try server.seed(sub: "user-1")
        try server.configure(["faults": [["kind": "reset"], ["kind": "hang"]]])
        #expect(throws: LoopbackHTTPError.connectionReset) { try refresh(server, token) }
        #expect(throws: LoopbackHTTPError.timedOut) { try refresh(server, token, timeout: 0.3) }
        #expect(try refresh(server, token).status == 200)
        #expect(try server.requestLog().map(\.result) == ["reset", "hang", "success"])
    }

    @Test func delayFaultAnswersLateButStillRotates() async throws {
        let server = try await StandInServer.start()
        defer { server.stop() }
        let token = try server.seed(sub: "user-1")
        try server.configure(["faults": [["kind": "delay", "delay_ms": 700]]])
        #expect(throws: LoopbackHTTPError.timedOut) { try refresh(server, token, timeout: 0.15) }
        // The server finishes the abandoned request, so the token the client still holds is dead.
        var live = try server.liveRefreshTokens(sub: "user-1")
        for _ in 0..<250 where live == [token] {
            usleep(20_000)
            live = try server.liveRefreshTokens(sub: "user-1")
        }
        #expect(live.count == 1 && live != [token])
        let entry = try #require(try server.stats()["requests"]?.arrayValue?.first?.objectValue)
        #expect(entry["fault"] == "delay" && entry["result"] == "success")
        #expect(try refresh(server, token).status == 400)
        #expect(try server.counter("dead_token_reuse") == 1)
    }

    @Test func faultsCanBeLimitedToOneGrantType() async throws {
        let server = try await StandInServer.start(arguments: ["--interval", "0", "--pending-polls", "0"])
        defer { server.stop() }
        let token = try server.seed(sub: "user-1")
        try server.configure(["faults": [["kind": "status_500", "grant_type": "refresh_token"]]])
        #expect(try poll(server, try deviceCode(server)).status == 200)
        #expect(try refresh(server, token).status == 500)
        #expect(try server.configure([:]).objectValue?["faults"] == [])
    }

    // MARK: Admin, HTTP and process

    @Test func adminRejectsUnknownKeysAndBadValuesWithoutChangingAnything() async throws {
        let server = try await StandInServer.start()
        defer { server.stop() }
        #expect(throws: TestSupportError.self) { try server.configure(["pending_poll": 1]) }
        #expect(throws: TestSupportError.self) { try server.configure(["faults": [["kind": "explode"]]]) }
        #expect(throws: TestSupportError.self) { try server.configure(["deny": true, "pending_polls": "two"]) }
        #expect(try server.configure([:]).objectValue?["deny"] == false)
        #expect(throws: TestSupportError.self) { try server.seed(sub: "") }
    }

    @Test func requestsArriveInPiecesAndOversizedOnesAreRefused() async throws {
        let server = try await StandInServer.start()
        defer { server.stop() }
        let token = try server.seed(sub: "user-1")
        let body = "grant_type=refresh_token&refresh_token=\(token)&client_id=\(Self.clientID)"
        let head = "POST /api/v1/oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
        let request = Array((head + body).utf8)
        let pieces = [Array(request[..<10]), Array(request[10..<60]), Array(request[60...])]
        let reply = try LoopbackHTTPClient.exchange(port: server.port, chunks: pieces)
        #expect(reply.status == 200)
        #expect(try server.counter("successful_refreshes") == 1)

        let huge = [UInt8](repeating: UInt8(ascii: "a"), count: 2 << 20)
        let refused = try LoopbackHTTPClient.send(port: server.port, method: "POST", path: "/api/v1/oauth2/token", body: huge)
        #expect(refused.status == 413)
        let unknown = try LoopbackHTTPClient.send(port: server.port, method: "GET", path: "/nope")
        #expect(unknown.status == 404)
    }

    @Test func stopsCleanlyOnSigtermEvenWithAHangingRequest() async throws {
        let server = try await StandInServer.start()
        let token = try server.seed(sub: "user-1")
        try server.configure(["faults": [["kind": "hang"]]])
        #expect(throws: LoopbackHTTPError.timedOut) { try refresh(server, token, timeout: 0.2) }
        #expect(server.stop() == 0)
        #expect(throws: LoopbackHTTPError.self) { try refresh(server, token) }
    }

    @Test func helpAndBadFlags() async throws {
        let help = try await runProduct("qwen-oauth-standin", ["--help"])
        #expect(help.exitCode == 0 && help.standardOutput.contains("--pending-polls"))
        let bad = try await runProduct("qwen-oauth-standin", ["--pending-polls", "many"])
        #expect(bad.exitCode == 2 && bad.standardError.contains("--pending-polls"))
    }

    // MARK: Helpers

    private func requestDeviceCode(
        _ server: StandInServer, clientID: String = clientID, challenge: String? = challenge, method: String = "S256"
    ) throws -> LoopbackHTTPResponse {
        var fields = [("client_id", clientID), ("scope", "openid profile email model.completion")]
        if let challenge { fields.append(("code_challenge", challenge)) }
        fields.append(("code_challenge_method", method))
        return try LoopbackHTTPClient.postForm(port: server.port, path: "/api/v1/oauth2/device/code", fields: fields)
    }

    private func deviceCode(_ server: StandInServer) throws -> String {
        let reply = try requestDeviceCode(server)
        return try #require(try reply.json().objectValue?["device_code"]?.stringValue)
    }

    private func poll(_ server: StandInServer, _ code: String, verifier: String = verifier) throws -> LoopbackHTTPResponse {
        try LoopbackHTTPClient.postForm(
            port: server.port, path: "/api/v1/oauth2/token",
            fields: [
                ("grant_type", Self.deviceGrant), ("client_id", Self.clientID), ("device_code", code),
                ("code_verifier", verifier),
            ],
            userAgent: "StandInTests/1.0"
        )
    }

    private func refresh(
        _ server: StandInServer, _ token: String, clientID: String = clientID, timeout: Double = 10
    ) throws -> LoopbackHTTPResponse {
        try LoopbackHTTPClient.postForm(
            port: server.port, path: "/api/v1/oauth2/token",
            fields: [("grant_type", "refresh_token"), ("refresh_token", token), ("client_id", clientID)],
            userAgent: "StandInTests/1.0", timeout: timeout
        )
    }

    private func jwtClaims(_ token: String) throws -> JSONObject {
        let parts = token.split(separator: ".")
        try #require(parts.count == 3)
        var base64 = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        let data = try #require(Data(base64Encoded: base64))
        return try #require(try JSON.parse([UInt8](data)).objectValue)
    }
}
