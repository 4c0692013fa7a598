import QwenOAuth
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// Refresh-token grants and their failure classes against the real stand-in process.
@Suite("Refresh")
struct RefreshTests {
    static func client(_ server: StandInServer, timeout: Duration = .seconds(8)) -> OAuthClient {
        OAuthClient(configuration: OAuthConfiguration(baseURL: server.baseURL, userAgent: "qwen-sync-test/1", requestTimeout: timeout))
    }

    @Test func refreshRotatesAndKillsTheOldToken() async throws {
        let server = try await StandInServer.start()
        defer { server.stop() }
        let old = try server.seed(sub: "user-7")
        let client = Self.client(server)

        let grant = try client.refresh(refreshToken: old)
        let rotated = try #require(grant.refreshToken)
        #expect(rotated != old)
        #expect(try server.liveRefreshTokens(sub: "user-7") == [rotated])
        #expect(grant.accessToken.contains(".at-SECRET-"))
        #expect(grant.expiresIn == 3600)

        let error = try #require(throws: RefreshError.self) { try client.refresh(refreshToken: old) }
        let evidence = RefusalEvidence(configuration: client.configuration.refreshConfiguration, status: 400, errorCode: "invalid_request", bodyKind: .json)
        #expect(error == .terminal(reason: "HTTP 400 invalid_request: Invalid refresh token or client_id", evidence: evidence))
        #expect(!evidence.concernsToken, "invalid_request may be the configuration's fault")
        #expect(error.isTerminal)
        #expect(!error.description.contains(old))
        #expect(try server.counter("dead_token_reuse") == 1)
    }

    @Test func refreshWithoutRotationLeavesTheRefreshTokenNil() async throws {
        let server = try await StandInServer.start(arguments: ["--no-rotate", "--expires-in", "120"])
        defer { server.stop() }
        let token = try server.seed(sub: "user-8")
        let client = Self.client(server)
        let first = try client.refresh(refreshToken: token)
        #expect(first.refreshToken == nil)
        #expect(first.expiresIn == 120)
        let second = try client.refresh(refreshToken: token)
        #expect(second.refreshToken == nil)
        #expect(second.accessToken != first.accessToken)
    }

    /// Each injected fault, and the classification it must produce.
    static let faults: [(fault: JSONValue, timeout: Duration, expected: @Sendable (RefreshError) -> Bool)] = [
        (
            ["kind": "delay", "delay_ms": 1500], .milliseconds(500),
            {
                $0 == .transient(reason: "timed out after 500 ms", retryAfter: nil)
            }
        ),
        (
            ["kind": "hang"], .milliseconds(400),
            {
                $0 == .transient(reason: "timed out after 400 ms", retryAfter: nil)
            }
        ),
        (
            ["kind": "reset"], .seconds(8),
            {
                guard case .transient(let reason, nil) = $0 else { return false }
                return reason.hasPrefix("connection reset by 127.0.0.1:")
            }
        ),
        (
            ["kind": "status_500"], .seconds(8),
            {
                $0 == .transient(reason: "HTTP 500 server_error: Internal server error", retryAfter: nil)
            }
        ),
        (
            ["kind": "status_429", "retry_after": 7], .seconds(8),
            {
                $0 == .transient(reason: "HTTP 429 too_many_requests: Rate limit exceeded", retryAfter: .seconds(7))
            }
        ),
        (
            ["kind": "garbage"], .seconds(8),
            {
                $0 == .transient(reason: "HTTP 200 with a body that is not a JSON object", retryAfter: nil)
            }
        ),
        (
            ["kind": "status_401"], .seconds(8),
            {
                $0.isRefusal("HTTP 401 invalid_client: Client authentication failed", status: 401, code: "invalid_client", body: .json)
            }
        ),
        (
            ["kind": "invalid_grant"], .seconds(8),
            {
                $0.isRefusal("HTTP 400 invalid_grant: The provided authorization grant is invalid", status: 400, code: "invalid_grant", body: .json)
            }
        ),
        (
            ["kind": "status_400_bare"], .seconds(8),
            {
                $0.isRefusal("HTTP 400 (body is not JSON)", status: 400, code: nil, body: .text)
            }
        ),
        (
            ["kind": "html_502"], .seconds(8),
            {
                $0 == .transient(reason: "HTTP 502 (body is not JSON)", retryAfter: nil)
            }
        ),
    ]

    @Test(arguments: 0..<faults.count)
    func faultIsClassified(index: Int) async throws {
        let (fault, timeout, expected) = Self.faults[index]
        let server = try await StandInServer.start()
        defer { server.stop() }
        let token = try server.seed(sub: "user-9")
        try server.configure(["faults": [fault]])
        let error = try #require(throws: RefreshError.self) {
            try Self.client(server, timeout: timeout).refresh(refreshToken: token)
        }
        #expect(expected(error), "\(fault.serialized(.compact)) gave \(error)")
        #expect(!error.description.contains("SECRET"))
        // The fault was used up: the same token still works, so nothing was rotated behind our back.
        #expect(try Self.client(server).refresh(refreshToken: token).refreshToken != nil)
    }

    @Test func refusedConnectionIsTransient() throws {
        let baseURL = try ClosedPort.baseURL()
        let client = OAuthClient(configuration: OAuthConfiguration(baseURL: baseURL))
        let host = baseURL.dropFirst("http://".count)
        #expect(throws: RefreshError.transient(reason: "connection refused (\(host))", retryAfter: nil)) {
            try client.refresh(refreshToken: "rt-SECRET-unused")
        }
    }

    @Test func noErrorDescriptionContainsATokenValue() async throws {
        let server = try await StandInServer.start(arguments: ["--pending-polls", "0", "--no-enforce-interval"])
        defer { server.stop() }
        let client = Self.client(server, timeout: .milliseconds(300))
        var descriptions: [String] = []
        let token = try server.seed(sub: "user-10")
        let kinds = ["hang", "reset", "status_500", "status_429", "garbage", "status_401", "invalid_grant"]
        try server.configure(["faults": .array(kinds.map { ["kind": .string($0)] })])
        for _ in kinds {
            do { _ = try client.refresh(refreshToken: token) } catch { descriptions.append(error.description) }
        }
        do { _ = try client.refresh(refreshToken: "rt-SECRET-never-issued") } catch { descriptions.append(error.description) }

        let pkce = PKCE.generate()
        let authorization = try client.requestDeviceCode(pkce: pkce)
        try server.configure(["faults": [["kind": "status_500"], ["kind": "garbage"]]])
        for candidate in [pkce, PKCE.generate(), PKCE.generate()] {
            do { _ = try client.pollDeviceToken(deviceCode: authorization.deviceCode, pkce: candidate) } catch {
                descriptions.append(error.description)
            }
        }
        #expect(descriptions.count == kinds.count + 4)
        for description in descriptions {
            #expect(!description.contains("SECRET"), "\(description)")
            #expect(!description.contains(pkce.verifier))
        }
    }
}

extension RefreshError {
    /// Whether this is a refusal with this reason, status, error code and body kind.
    fileprivate func isRefusal(_ reason: String, status: Int, code: String?, body: RefusalEvidence.BodyKind) -> Bool {
        guard case .terminal(let said, let evidence) = self else { return false }
        return said == reason && evidence.status == status && evidence.errorCode == code && evidence.bodyKind == body
    }
}
