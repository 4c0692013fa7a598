import QwenSyncCore

/// The Qwen OAuth protocol: device authorization with PKCE, token polling and refresh.
///
/// Every call is one blocking HTTP request bounded by the configuration's timeouts.
public struct OAuthClient: Sendable {
    /// The grant type of device-code polls.
    public static let deviceCodeGrantType = "urn:ietf:params:oauth:grant-type:device_code"

    /// Where and how requests go.
    public let configuration: OAuthConfiguration
    private let http: HTTPClient

    /// Creates a client for `configuration`.
    public init(configuration: OAuthConfiguration = OAuthConfiguration()) {
        self.configuration = configuration
        self.http = HTTPClient(
            userAgent: configuration.userAgent, connectTimeout: configuration.connectTimeout, isolation: configuration.httpIsolation)
    }

    /// Starts a device authorization for `pkce`'s challenge.
    ///
    /// - Parameter pkce: the pair whose challenge is registered; poll with the same pair.
    /// - Returns: the codes and URLs to show the user.
    /// - Throws: ``DeviceFlowError`` when the server is unreachable, refuses, or answers
    ///   without the required fields.
    public func requestDeviceCode(pkce: PKCE) throws(DeviceFlowError) -> DeviceAuthorization {
        let response = try post(
            configuration.deviceCodeURL,
            [
                ("client_id", configuration.clientID),
                ("scope", configuration.scope),
                ("code_challenge", pkce.challenge),
                ("code_challenge_method", PKCE.method),
            ])
        guard response.status == 200 else {
            let summary = OAuthErrorBody(response.body)?.summary(status: response.status, secrets: [])
            throw .server(status: response.status, summary: summary ?? "HTTP \(response.status)")
        }
        guard let object = try? JSON.parse(response.body).objectValue else {
            throw .invalidResponse("the device-code response is not a JSON object")
        }
        guard let authorization = DeviceAuthorization(object) else {
            throw .invalidResponse("the device-code response lacks device_code, user_code, verification_uri or expires_in")
        }
        return authorization
    }

    /// Polls the token endpoint once for `deviceCode`.
    ///
    /// - Parameters:
    ///   - deviceCode: ``DeviceAuthorization/deviceCode``.
    ///   - pkce: the pair used for ``requestDeviceCode(pkce:)``.
    /// - Returns: `.pending`, `.slowDown` or `.granted`.
    /// - Throws: ``DeviceFlowError/accessDenied``, ``DeviceFlowError/expired``, or another
    ///   ``DeviceFlowError`` (see ``DeviceFlowError/isTransient``).
    public func pollDeviceToken(deviceCode: String, pkce: PKCE) throws(DeviceFlowError) -> DevicePollResult {
        let secrets = [deviceCode, pkce.verifier]
        let response = try post(
            configuration.tokenURL,
            [
                ("grant_type", Self.deviceCodeGrantType),
                ("client_id", configuration.clientID),
                ("device_code", deviceCode),
                ("code_verifier", pkce.verifier),
            ])
        let object = try? JSON.parse(response.body).objectValue
        if response.status == 200, let object, let grant = TokenGrant(object) {
            return .granted(grant)
        }
        let error = object.map(OAuthErrorBody.init)
        switch error?.code {
        case "authorization_pending": return .pending
        case "slow_down": return .slowDown
        case "access_denied": throw .accessDenied
        case "expired_token": throw .expired
        default: break
        }
        if response.status == 429 { return .slowDown }
        if response.status == 200 {
            throw .invalidResponse(object == nil ? "the token response is not a JSON object" : "the token response has no access_token")
        }
        throw .server(
            status: response.status,
            summary: error?.summary(status: response.status, secrets: secrets) ?? "HTTP \(response.status)"
        )
    }

    /// Exchanges `refreshToken` for new tokens.
    ///
    /// When the response carries no `refresh_token`, ``TokenGrant/refreshToken`` is `nil`
    /// and the caller keeps `refreshToken`.
    ///
    /// - Parameters:
    ///   - refreshToken: the current refresh token.
    ///   - rotationJournal: where the process that receives the answer records a rotated
    ///     refresh token first (``RotationJournal``); an answer whose other fields are unusable
    ///     (no `access_token`) is then a transient failure whose new refresh token is kept there.
    /// - Returns: the new tokens.
    /// - Throws: ``RefreshError/terminal(reason:evidence:)`` when the server refused the token
    ///   (HTTP 400/401, `invalid_grant`, `invalid_request`, `invalid_client`);
    ///   ``RefreshError/transient(reason:retryAfter:)`` for everything that may pass.
    public func refresh(refreshToken: String, rotationJournal: RotationJournal.Destination? = nil) throws(RefreshError) -> TokenGrant {
        let response: HTTPResponse
        do {
            response = try http.postForm(
                url: configuration.tokenURL,
                fields: [
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refreshToken),
                    ("client_id", configuration.clientID),
                ],
                timeout: configuration.requestTimeout,
                rotationJournal: rotationJournal
            )
        } catch {
            throw .transient(reason: error.description, retryAfter: nil)
        }
        let object = try? JSON.parse(response.body).objectValue
        if response.status == 200 {
            guard let object else {
                throw .transient(reason: "HTTP 200 with a body that is not a JSON object", retryAfter: nil)
            }
            guard let grant = TokenGrant(object) else {
                let rotated = object["refresh_token"]?.stringValue.map { !$0.isEmpty && $0 != refreshToken } ?? false
                throw .transient(
                    reason: "HTTP 200 without access_token" + (rotated && rotationJournal != nil ? " (its new refresh token was kept)" : ""),
                    retryAfter: nil)
            }
            return grant
        }
        let error = object.map(OAuthErrorBody.init)
        let summary =
            error?.summary(status: response.status, secrets: [refreshToken])
            ?? "HTTP \(response.status)\(object == nil && !response.body.isEmpty ? " (body is not JSON)" : "")"
        let terminalCodes: Set<String> = ["invalid_grant", "invalid_request", "invalid_client", "unauthorized_client"]
        if response.status == 400 || response.status == 401
            || (response.status < 500 && response.status != 429 && terminalCodes.contains(error?.code ?? ""))
        {
            let evidence = RefusalEvidence(
                configuration: configuration.refreshConfiguration, status: response.status, errorCode: error?.code,
                bodyKind: RefusalEvidence.BodyKind(of: response.body))
            throw .terminal(reason: summary, evidence: evidence)
        }
        throw .transient(reason: summary, retryAfter: response.retryAfter)
    }

    /// POSTs `fields` to `url`, mapping transport failures into ``DeviceFlowError``.
    private func post(_ url: String, _ fields: [(String, String)]) throws(DeviceFlowError) -> HTTPResponse {
        do {
            return try http.postForm(url: url, fields: fields, timeout: configuration.requestTimeout)
        } catch {
            throw .transport(error)
        }
    }
}
