import QwenSyncCore

/// Everything the stand-in remembers: options, device codes, accounts, tokens and counters.
///
/// All methods run under the server's lock and never block.
struct OAuthServerState: Sendable {
    /// The grant type of device-code polls.
    static let deviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code"
    /// The most request-log entries kept; older ones are dropped.
    static let logLimit = 10_000

    /// The current options.
    var config: StandInConfig

    private var devices: [String: DeviceAuthorization] = [:]
    private var accounts: [String: Account] = [:]
    private var accountOrder: [String] = []
    private var refreshTokenOwners: [String: String] = [:]
    private var deadRefreshTokens: Set<String> = []
    private var log: [RequestLogEntry] = []
    private var deviceCodeRequests = 0
    private var tokenPolls = 0
    private var successfulLogins = 0
    private var refreshRequests = 0
    private var successfulRefreshes = 0
    private var refreshFailures = 0
    private var deadTokenReuse = 0
    private var faultsServed = 0

    init(config: StandInConfig) { self.config = config }

    // MARK: Device authorization

    /// Answers `POST /api/v1/oauth2/device/code`.
    /// - Parameters:
    ///   - form: the form fields.
    ///   - baseURL: the stand-in's own URL, for `verification_uri`.
    ///   - now: monotonic milliseconds.
    mutating func deviceCode(_ form: FormBody, baseURL: String, now: Int64) -> HTTPResponse {
        deviceCodeRequests += 1
        guard form["client_id"] == config.clientID else {
            return .oauthError(400, "invalid_client", "Unknown client_id")
        }
        guard let challenge = form["code_challenge"], PKCECheck.isWellFormedChallenge(challenge) else {
            return .oauthError(400, "invalid_request", "Missing or invalid code_challenge")
        }
        guard form["code_challenge_method"] == "S256" else {
            return .oauthError(400, "invalid_request", "code_challenge_method must be S256")
        }
        let code = TokenMint.deviceCode()
        let userCode = TokenMint.userCode()
        let scope = form["scope"].flatMap { $0.isEmpty ? nil : $0 } ?? config.scope
        devices[code] = DeviceAuthorization(
            codeChallenge: challenge, scope: scope, expiresAt: now + config.deviceExpiresIn * 1000
        )
        return .json(
            200,
            [
                "device_code": .string(code),
                "user_code": .string(userCode),
                "verification_uri": .string("\(baseURL)/authorize"),
                "verification_uri_complete": .string("\(baseURL)/authorize?user_code=\(userCode)&client=qwen-code"),
                "expires_in": .int(config.deviceExpiresIn),
                "interval": .int(config.interval),
            ])
    }

    // MARK: Token endpoint

    /// Counts a token request and takes the fault that applies to it, if any.
    mutating func beginTokenRequest(grantType: String) -> Fault? {
        if grantType == Self.deviceCodeGrant { tokenPolls += 1 }
        if grantType == "refresh_token" { refreshRequests += 1 }
        guard let index = config.faults.firstIndex(where: { $0.grantType == nil || $0.grantType == grantType }) else {
            return nil
        }
        let fault = config.faults[index]
        config.faults[index].remaining -= 1
        if config.faults[index].remaining <= 0 { config.faults.remove(at: index) }
        faultsServed += 1
        return fault
    }

    /// Logs a token request that a fault answered (or left unanswered).
    mutating func recordFault(_ fault: Fault, grantType: String, client: String) {
        append(
            RequestLogEntry(
                grantType: grantType, result: fault.kind.rawValue, status: fault.response?.status ?? 0,
                client: client, fault: fault.kind.rawValue
            ))
    }

    /// Answers `POST /api/v1/oauth2/token` (after ``beginTokenRequest(grantType:)``).
    /// - Parameters:
    ///   - form: the form fields.
    ///   - client: the `User-Agent`, for the log.
    ///   - fault: the fault kind that delayed this request, for the log.
    ///   - now: monotonic milliseconds.
    mutating func token(_ form: FormBody, client: String, fault: String?, now: Int64) -> HTTPResponse {
        let grantType = form["grant_type"] ?? ""
        let sub = form["refresh_token"].flatMap { refreshTokenOwners[$0] }
        let (result, response): (String, HTTPResponse)
        switch grantType {
        case Self.deviceCodeGrant: (result, response) = poll(form, now: now)
        case "refresh_token": (result, response) = refresh(form)
        default:
            (result, response) = ("unsupported_grant_type", .oauthError(400, "unsupported_grant_type", "Unsupported grant_type"))
        }
        append(RequestLogEntry(grantType: grantType, result: result, status: response.status, client: client, fault: fault, sub: sub))
        return response
    }

    private mutating func poll(_ form: FormBody, now: Int64) -> (String, HTTPResponse) {
        guard form["client_id"] == config.clientID else {
            return ("invalid_client", .oauthError(400, "invalid_client", "Unknown client_id"))
        }
        guard let code = form["device_code"], let verifier = form["code_verifier"] else {
            return ("invalid_request", .oauthError(400, "invalid_request", "Missing device_code or code_verifier"))
        }
        guard var device = devices[code] else {
            return ("invalid_grant", .oauthError(400, "invalid_grant", "Unknown device_code"))
        }
        defer { devices[code] = device }
        if device.redeemed {
            return ("invalid_grant", .oauthError(400, "invalid_grant", "The device code was already used"))
        }
        if config.expire || now >= device.expiresAt {
            return ("expired_token", .oauthError(400, "expired_token", "The device code has expired"))
        }
        if config.deny {
            return ("access_denied", .oauthError(400, "access_denied", "The user denied the authorization request"))
        }
        let tooFast = device.lastPolledAt.map { config.enforceInterval && (now - $0) * 4 < config.interval * 3000 } ?? false
        device.lastPolledAt = now
        if config.slowDown > 0 || tooFast {
            config.slowDown = max(0, config.slowDown - 1)
            return ("slow_down", .oauthError(429, "slow_down", "Polling too frequently"))
        }
        guard PKCECheck.verifier(verifier, matches: device.codeChallenge) else {
            return ("invalid_grant", .oauthError(400, "invalid_grant", "PKCE verification failed"))
        }
        if device.pendingAnswered < config.pendingPolls {
            device.pendingAnswered += 1
            return ("authorization_pending", .oauthError(400, "authorization_pending", "The authorization request is still pending"))
        }
        device.redeemed = true
        successfulLogins += 1
        let sub = config.loginSub
        if accounts[sub] == nil { addAccount(Account(sub: sub, email: config.loginEmail)) }
        accounts[sub]?.email = config.loginEmail
        return ("success", .json(200, issueTokens(sub: sub, scope: device.scope, includeRefreshToken: true)))
    }

    private mutating func refresh(_ form: FormBody) -> (String, HTTPResponse) {
        let invalid = HTTPResponse.oauthError(400, "invalid_request", "Invalid refresh token or client_id")
        guard let token = form["refresh_token"], form["client_id"] == config.clientID,
            let sub = refreshTokenOwners[token]
        else {
            refreshFailures += 1
            if let token = form["refresh_token"], deadRefreshTokens.contains(token) {
                deadTokenReuse += 1
                return ("dead_token_reuse", invalid)
            }
            return ("invalid_request", invalid)
        }
        successfulRefreshes += 1
        guard config.rotateRefreshTokens else {
            return ("success", .json(200, issueTokens(sub: sub, scope: config.scope, includeRefreshToken: false)))
        }
        refreshTokenOwners[token] = nil
        deadRefreshTokens.insert(token)
        accounts[sub]?.liveRefreshTokens.removeAll { $0 == token }
        return ("success", .json(200, issueTokens(sub: sub, scope: config.scope, includeRefreshToken: true)))
    }

    private mutating func issueTokens(sub: String, scope: String, includeRefreshToken: Bool) -> JSONValue {
        let email = accounts[sub]?.email ?? ""
        let accessToken =
            config.opaqueAccessTokens
            ? TokenMint.opaqueAccessToken()
            : TokenMint.accessToken(sub: sub, email: email, expiresIn: config.expiresIn)
        accounts[sub]?.latestAccessToken = accessToken
        var body = JSONObject([("access_token", .string(accessToken))])
        if includeRefreshToken {
            let refreshToken = TokenMint.refreshToken()
            addRefreshToken(refreshToken, sub: sub)
            body["refresh_token"] = .string(refreshToken)
        }
        body["token_type"] = "Bearer"
        body["expires_in"] = .int(config.expiresIn)
        body["scope"] = .string(scope)
        if !config.resourceURL.isEmpty { body["resource_url"] = .string(config.resourceURL) }
        return .object(body)
    }

    // MARK: Admin

    /// Creates (or updates) an account with a live refresh token, for `POST /__admin/seed`.
    ///
    /// Keys: `sub` (required), `email` (default `<sub>@example.com`), `refresh_token`
    /// (default: a new one). Returns `{"sub", "email", "refresh_token"}`.
    /// - Throws: ``StandInError`` when `sub` is missing or a value is not a string.
    mutating func seed(_ object: JSONObject) throws(StandInError) -> JSONValue {
        for key in object.keys where !["sub", "email", "refresh_token"].contains(key) {
            throw StandInError("unknown seed key \(key)")
        }
        guard let sub = object["sub"]?.stringValue, !sub.isEmpty else { throw StandInError("sub must be a non-empty string") }
        let email = object["email"]?.stringValue ?? "\(sub)@example.com"
        let token = object["refresh_token"]?.stringValue ?? TokenMint.refreshToken()
        if let owner = refreshTokenOwners[token], owner != sub { throw StandInError("refresh_token belongs to another sub") }
        if accounts[sub] == nil { addAccount(Account(sub: sub, email: email)) }
        accounts[sub]?.email = email
        deadRefreshTokens.remove(token)
        if refreshTokenOwners[token] == nil { addRefreshToken(token, sub: sub) }
        return ["sub": .string(sub), "email": .string(email), "refresh_token": .string(token)]
    }

    /// The counters, live tokens and request log, for `GET /__admin/stats`.
    var stats: JSONValue {
        var live = JSONObject()
        var latest = JSONObject()
        var emails = JSONObject()
        for sub in accountOrder {
            guard let account = accounts[sub] else { continue }
            live[sub] = .array(account.liveRefreshTokens.map { .string($0) })
            latest[sub] = .optionalString(account.latestAccessToken)
            emails[sub] = .string(account.email)
        }
        return [
            "device_code_requests": .int(Int64(deviceCodeRequests)),
            "token_polls": .int(Int64(tokenPolls)),
            "successful_logins": .int(Int64(successfulLogins)),
            "refresh_requests": .int(Int64(refreshRequests)),
            "successful_refreshes": .int(Int64(successfulRefreshes)),
            "refresh_failures": .int(Int64(refreshFailures)),
            "dead_token_reuse": .int(Int64(deadTokenReuse)),
            "faults_served": .int(Int64(faultsServed)),
            "emails": .object(emails),
            "live_refresh_tokens": .object(live),
            "latest_access_tokens": .object(latest),
            "requests": .array(log.map(\.json)),
        ]
    }

    private mutating func addAccount(_ account: Account) {
        accounts[account.sub] = account
        accountOrder.append(account.sub)
    }

    private mutating func addRefreshToken(_ token: String, sub: String) {
        refreshTokenOwners[token] = sub
        accounts[sub]?.liveRefreshTokens.append(token)
    }

    private mutating func append(_ entry: RequestLogEntry) {
        if log.count >= Self.logLimit { log.removeFirst(log.count - Self.logLimit + 1) }
        log.append(entry)
    }
}
