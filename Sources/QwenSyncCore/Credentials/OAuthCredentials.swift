/// The contents of `oauth_creds.json`: one account's tokens, as every qwen client reads them.
public struct OAuthCredentials: Sendable, Equatable {
    /// The bearer token for API calls.
    public var accessToken: String
    /// The token that buys the next access token; rotated by every refresh.
    public var refreshToken: String
    /// Always `Bearer` in practice.
    public var tokenType: String
    /// When the access token expires, in milliseconds since the epoch, within
    /// ``OutsideNumbers/epochMillisecondsRange`` when read from a file.
    public var expiryDate: Int64
    /// The `expiry_date` literal read, when it was not exactly ``expiryDate`` (a fraction, or out
    /// of range like `-9223372036854775808` or `1e400`): written back as it was while
    /// ``expiryDate`` keeps the value it was read as, so a peer's file is not rewritten gratuitously.
    var expiryLiteral: JSONNumber?
    /// The API host for this account, e.g. `portal.qwen.ai`.
    public var resourceURL: String?
    /// An OpenID id token, when the server sent one.
    public var idToken: String?
    /// Fields qwen-sync does not know, kept in order (qwen-code drops them on its next write).
    public var extraFields: JSONObject

    /// Credentials with these values.
    public init(
        accessToken: String, refreshToken: String, tokenType: String = "Bearer", expiryDate: Int64,
        resourceURL: String? = nil, idToken: String? = nil, extraFields: JSONObject = JSONObject()
    ) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.tokenType = tokenType
        self.expiryDate = expiryDate
        self.resourceURL = resourceURL
        self.idToken = idToken
        self.extraFields = extraFields
    }

    static let knownKeys = ["access_token", "token_type", "refresh_token", "resource_url", "expiry_date", "id_token"]

    /// Reads credentials with qwen-code's validity rules: `access_token`, `refresh_token` and
    /// `token_type` non-empty strings, `expiry_date` a number of milliseconds (any JSON number,
    /// as for qwen-code: one out of range is interpreted clamped, see ``expiryLiteral``).
    ///
    /// - Throws: ``CredentialsError`` naming the first field that is missing or of the wrong type.
    public init(json value: JSONValue) throws(CredentialsError) {
        guard let object = value.objectValue else { throw .notAnObject(value.typeName) }
        func requiredString(_ key: String) throws(CredentialsError) -> String {
            guard let field = object[key] else { throw .missingField(key) }
            guard let text = field.stringValue else { throw .wrongType(key, expected: "a string", found: field.typeName) }
            guard !text.isEmpty else { throw .emptyField(key) }
            return text
        }
        func optionalString(_ key: String) throws(CredentialsError) -> String? {
            guard let field = object[key], !field.isNull else { return nil }
            guard let text = field.stringValue else { throw .wrongType(key, expected: "a string", found: field.typeName) }
            return text
        }
        accessToken = try requiredString("access_token")
        refreshToken = try requiredString("refresh_token")
        tokenType = try requiredString("token_type")
        guard let expiry = object["expiry_date"] else { throw .missingField("expiry_date") }
        guard case .number(let number) = expiry else {
            throw .wrongType("expiry_date", expected: "a number of milliseconds", found: expiry.typeName)
        }
        expiryDate = OutsideNumbers.epochMilliseconds(number)
        expiryLiteral = String(expiryDate) == number.literal ? nil : number
        resourceURL = try optionalString("resource_url")
        idToken = try optionalString("id_token")
        extraFields = JSONObject(object.members.filter { !Self.knownKeys.contains($0.key) }.map { ($0.key, $0.value) })
    }

    /// The JSON object in qwen-code's field order, unknown fields after the known ones.
    public var json: JSONValue {
        var object = JSONObject()
        object["access_token"] = .string(accessToken)
        object["token_type"] = .string(tokenType)
        object["refresh_token"] = .string(refreshToken)
        if let resourceURL { object["resource_url"] = .string(resourceURL) }
        object["expiry_date"] = expiryLiteral.flatMap { OutsideNumbers.epochMilliseconds($0) == expiryDate ? .number($0) : nil } ?? .int(expiryDate)
        if let idToken { object["id_token"] = .string(idToken) }
        for (key, value) in extraFields { object[key] = value }
        return .object(object)
    }

    /// Whether the two hold the same tokens and expiry (unknown fields aside).
    public func sameTokens(as other: OAuthCredentials) -> Bool {
        accessToken == other.accessToken && refreshToken == other.refreshToken && expiryDate == other.expiryDate
    }
}

extension OAuthCredentials: CustomStringConvertible {
    /// A description that never shows a token.
    public var description: String { "OAuthCredentials(expiry_date: \(expiryDate), tokens: <redacted>)" }
}
