/// What a token endpoint's JSON answer (device grant or refresh) says, every field checked.
///
/// Lives beside ``OAuthCredentials`` because two processes read it: the one that receives the
/// answer (to put a rotated refresh token into the ``RotationJournal`` before anything else can
/// fail) and the refresh itself. A missing `access_token` or a nonsensical `expires_in` does not
/// make the answer unreadable: its new refresh token is what must never be lost.
public struct TokenResponse: Sendable, Equatable {
    /// The lifetime assumed when `expires_in` is missing or unusable.
    public static let assumedLifetimeSeconds: Int64 = 3600

    /// The new access token, when the answer carries a non-empty one.
    public let accessToken: String?
    /// The new refresh token, when the server rotated it.
    public let refreshToken: String?
    /// `token_type`, `Bearer` when absent.
    public let tokenType: String
    /// `expires_in` as interpreted by ``OutsideNumbers/lifetime(_:assumedSeconds:)``.
    public let lifetime: OutsideNumbers.Lifetime
    /// `scope`, when sent.
    public let scope: String?
    /// `resource_url`, when sent.
    public let resourceURL: String?
    /// `id_token`, when sent.
    public let idToken: String?

    /// Reads a token answer; `nil` when it holds neither an access nor a refresh token.
    public init?(_ object: JSONObject) {
        func text(_ key: String) -> String? {
            guard let value = object[key]?.stringValue, !value.isEmpty else { return nil }
            return value
        }
        accessToken = text("access_token")
        refreshToken = text("refresh_token")
        guard accessToken != nil || refreshToken != nil else { return nil }
        tokenType = text("token_type") ?? "Bearer"
        lifetime = OutsideNumbers.lifetime(object["expires_in"], assumedSeconds: Self.assumedLifetimeSeconds)
        scope = text("scope")
        resourceURL = text("resource_url")
        idToken = text("id_token")
    }

    /// Reads a token answer's body; `nil` when it is not a JSON object holding a token.
    public init?(body: [UInt8]) {
        guard let object = try? JSON.parse(body).objectValue else { return nil }
        self.init(object)
    }

    /// The credentials this answer gives an account that held `previous`, received at
    /// `receivedAtMs`: its tokens where it has them, `previous`'s otherwise. An answer without
    /// an access token keeps `previous`'s access token and expiry, so the new refresh token is
    /// used at the next refresh.
    public func credentials(replacing previous: OAuthCredentials, receivedAtMs: Int64) -> OAuthCredentials {
        var renewed = previous
        renewed.refreshToken = refreshToken ?? previous.refreshToken
        if let accessToken {
            renewed.accessToken = accessToken
            renewed.tokenType = tokenType
            renewed.expiryDate = expiryDate(receivedAtMs: receivedAtMs)
        }
        renewed.resourceURL = resourceURL ?? previous.resourceURL
        renewed.idToken = idToken ?? previous.idToken
        return renewed
    }

    /// The `expiry_date` to store: `receivedAtMs + lifetime * 1000`, saturating.
    public func expiryDate(receivedAtMs: Int64) -> Int64 {
        receivedAtMs.addingSaturated(lifetime.seconds.multipliedSaturated(by: 1000))
    }
}
