import QwenOAuth
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// Single device-flow requests against the real stand-in process.
@Suite("Device authorization requests")
struct DeviceAuthorizationTests {
    static func client(_ server: StandInServer) -> OAuthClient {
        OAuthClient(configuration: OAuthConfiguration(baseURL: server.baseURL + "/", userAgent: "qwen-sync-test/1"))
    }

    @Test func deviceCodePendingSlowDownAndGrant() async throws {
        let server = try await StandInServer.start(arguments: ["--pending-polls", "2", "--no-enforce-interval"])
        defer { server.stop() }
        let client = Self.client(server)
        let pkce = PKCE.generate()
        #expect(pkce.verifier.count == 43)

        let authorization = try client.requestDeviceCode(pkce: pkce)
        #expect(authorization.deviceCode.hasPrefix("dc-SECRET-"))
        #expect(authorization.userCode.count == 9)
        #expect(authorization.verificationURI == server.baseURL + "/authorize")
        #expect(authorization.browserURL.contains("user_code=\(authorization.userCode)"))
        #expect(authorization.expiresIn == 600)
        #expect(authorization.interval == 2)
        #expect(!authorization.description.contains(authorization.deviceCode))

        #expect(try client.pollDeviceToken(deviceCode: authorization.deviceCode, pkce: pkce) == .pending)
        try server.configure(["slow_down": 1])
        #expect(try client.pollDeviceToken(deviceCode: authorization.deviceCode, pkce: pkce) == .slowDown)
        #expect(try client.pollDeviceToken(deviceCode: authorization.deviceCode, pkce: pkce) == .pending)
        guard case .granted(let grant) = try client.pollDeviceToken(deviceCode: authorization.deviceCode, pkce: pkce) else {
            Issue.record("expected a grant")
            return
        }
        #expect(grant.accessToken.contains(".at-SECRET-"))
        #expect(grant.refreshToken?.hasPrefix("rt-SECRET-") == true)
        #expect(grant.tokenType == "Bearer")
        #expect(grant.expiresIn == 3600)
        #expect(grant.scope == OAuthConfiguration.defaultScope)
        #expect(grant.resourceURL == "portal.qwen.ai")
        #expect(grant.expiryDate(nowMilliseconds: 1_000) == 3_601_000)
        #expect(!grant.description.contains("SECRET"))

        #expect(try server.counter("successful_logins") == 1)
        #expect(try server.liveRefreshTokens(sub: "user-1") == [grant.refreshToken])
        #expect(try server.requestLog().allSatisfy { $0.client == "qwen-sync-test/1" })
    }

    @Test func serverChecksTheVerifierAgainstTheChallenge() async throws {
        let server = try await StandInServer.start(arguments: ["--pending-polls", "0", "--no-enforce-interval"])
        defer { server.stop() }
        let client = Self.client(server)
        let pkce = PKCE.generate()
        let authorization = try client.requestDeviceCode(pkce: pkce)
        let impostor = PKCE.generate()
        let error = try #require(throws: DeviceFlowError.self) {
            try client.pollDeviceToken(deviceCode: authorization.deviceCode, pkce: impostor)
        }
        #expect(error == .server(status: 400, summary: "HTTP 400 invalid_grant: PKCE verification failed"))
        #expect(!error.description.contains(impostor.verifier))
        guard case .granted = try client.pollDeviceToken(deviceCode: authorization.deviceCode, pkce: pkce) else {
            Issue.record("the right verifier should be granted")
            return
        }
    }

    @Test func denialAndExpiryEndPollingWithClearMessages() async throws {
        let server = try await StandInServer.start(arguments: ["--pending-polls", "5", "--no-enforce-interval"])
        defer { server.stop() }
        let client = Self.client(server)
        let pkce = PKCE.generate()
        let authorization = try client.requestDeviceCode(pkce: pkce)

        try server.configure(["deny": true])
        #expect(throws: DeviceFlowError.accessDenied) {
            try client.pollDeviceToken(deviceCode: authorization.deviceCode, pkce: pkce)
        }
        #expect(DeviceFlowError.accessDenied.description.contains("denied"))

        try server.configure(["deny": false, "expire": true])
        #expect(throws: DeviceFlowError.expired) {
            try client.pollDeviceToken(deviceCode: authorization.deviceCode, pkce: pkce)
        }
        #expect(DeviceFlowError.expired.description.contains("expired"))
        #expect(DeviceFlowError.expired.description.contains("login again"))
    }

    @Test func unknownClientIsRefusedWithTheServersCode() async throws {
        let server = try await StandInServer.start(arguments: ["--client-id", "someone-else"])
        defer { server.stop() }
        let error = try #require(throws: DeviceFlowError.self) {
            try Self.client(server).requestDeviceCode(pkce: .generate())
        }
        #expect(error == .server(status: 400, summary: "HTTP 400 invalid_client: Unknown client_id"))
    }

    @Test func unreachableServerIsATransportError() throws {
        let baseURL = try ClosedPort.baseURL()
        let client = OAuthClient(configuration: OAuthConfiguration(baseURL: baseURL))
        let error = try #require(throws: DeviceFlowError.self) { try client.requestDeviceCode(pkce: .generate()) }
        let host = baseURL.dropFirst("http://".count)
        #expect(error == .transport(HTTPTransportError(.connectFailed, "connection refused (\(host))")))
        #expect(error.isTransient)
    }
}
