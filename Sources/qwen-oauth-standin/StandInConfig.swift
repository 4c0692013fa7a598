import QwenSyncCore

/// The stand-in's behaviour, set by command-line flags and `POST /__admin/config`.
///
/// The JSON keys are the snake_case names listed in ``apply(_:)``.
struct StandInConfig: Sendable {
    /// The only accepted `client_id` (qwen-code's by default).
    var clientID = "f0304373b74a44d2b584a3fb70ca9e56"
    /// The scope echoed in token responses when the device request sent none.
    var scope = "openid profile email model.completion"
    /// How many polls of a device code answer `authorization_pending` before success.
    var pendingPolls = 2
    /// The poll interval in seconds, sent with device codes.
    var interval: Int64 = 2
    /// Whether polls faster than 3/4 of `interval` get `slow_down`.
    var enforceInterval = true
    /// The lifetime of a device code in seconds.
    var deviceExpiresIn: Int64 = 600
    /// The lifetime of an access token in seconds.
    var expiresIn: Int64 = 3600
    /// `resource_url` in token responses; empty leaves the field out.
    var resourceURL = "portal.qwen.ai"
    /// Whether a refresh issues a new refresh token and kills the old one.
    var rotateRefreshTokens = true
    /// Whether access tokens are opaque strings without identity claims (no JWT).
    var opaqueAccessTokens = false
    /// The account a device login signs in as.
    var loginSub = "user-1"
    /// The e-mail address of that account.
    var loginEmail = "user-1@example.com"
    /// How many of the next device-code polls answer 429 `slow_down` regardless of timing.
    var slowDown = 0
    /// Whether device-code polls answer `access_denied`.
    var deny = false
    /// Whether device-code polls answer `expired_token`.
    var expire = false
    /// Injected failures for the next token requests, used in order.
    var faults: [Fault] = []

    /// Sets the options present in `object`, leaving the others as they are.
    ///
    /// Keys: `client_id`, `scope`, `pending_polls`, `interval`, `enforce_interval`,
    /// `device_expires_in`, `expires_in`, `resource_url`, `rotate_refresh_tokens`, `opaque_access_tokens`, `login_sub`,
    /// `login_email`, `slow_down`, `deny`, `expire`, `faults` (an array that replaces the queue).
    /// Nothing changes when any key is bad.
    /// - Throws: ``StandInError`` for an unknown key or a mistyped value.
    mutating func apply(_ object: JSONObject) throws(StandInError) {
        var updated = self
        for (key, value) in object {
            switch key {
            case "client_id": updated.clientID = try Self.string(value, key)
            case "scope": updated.scope = try Self.string(value, key)
            case "pending_polls": updated.pendingPolls = Int(try Self.integer(value, key))
            case "interval": updated.interval = try Self.integer(value, key)
            case "enforce_interval": updated.enforceInterval = try Self.bool(value, key)
            case "device_expires_in": updated.deviceExpiresIn = try Self.integer(value, key)
            case "expires_in": updated.expiresIn = try Self.integer(value, key)
            case "resource_url": updated.resourceURL = try Self.string(value, key)
            case "rotate_refresh_tokens": updated.rotateRefreshTokens = try Self.bool(value, key)
            case "opaque_access_tokens": updated.opaqueAccessTokens = try Self.bool(value, key)
            case "login_sub": updated.loginSub = try Self.string(value, key)
            case "login_email": updated.loginEmail = try Self.string(value, key)
            case "slow_down": updated.slowDown = Int(try Self.integer(value, key))
            case "deny": updated.deny = try Self.bool(value, key)
            case "expire": updated.expire = try Self.bool(value, key)
            case "faults":
                guard let list = value.arrayValue else { throw StandInError("faults must be an array") }
                var faults: [Fault] = []
                for entry in list { faults.append(try Fault(json: entry)) }
                updated.faults = faults
            default: throw StandInError("unknown config key \(key)")
            }
        }
        self = updated
    }

    /// Every option as JSON, with the same keys ``apply(_:)`` accepts.
    var json: JSONValue {
        [
            "client_id": .string(clientID),
            "scope": .string(scope),
            "pending_polls": .int(Int64(pendingPolls)),
            "interval": .int(interval),
            "enforce_interval": .bool(enforceInterval),
            "device_expires_in": .int(deviceExpiresIn),
            "expires_in": .int(expiresIn),
            "resource_url": .string(resourceURL),
            "rotate_refresh_tokens": .bool(rotateRefreshTokens),
            "opaque_access_tokens": .bool(opaqueAccessTokens),
            "login_sub": .string(loginSub),
            "login_email": .string(loginEmail),
            "slow_down": .int(Int64(slowDown)),
            "deny": .bool(deny),
            "expire": .bool(expire),
            "faults": .array(faults.map(\.json)),
        ]
    }

    private static func string(_ value: JSONValue, _ key: String) throws(StandInError) -> String {
        guard let text = value.stringValue else { throw StandInError("\(key) must be a string") }
        return text
    }

    private static func integer(_ value: JSONValue, _ key: String) throws(StandInError) -> Int64 {
        guard let number = value.int64Value, number >= 0 else { throw StandInError("\(key) must be a non-negative integer") }
        return number
    }

    private static func bool(_ value: JSONValue, _ key: String) throws(StandInError) -> Bool {
        guard let flag = value.boolValue else { throw StandInError("\(key) must be true or false") }
        return flag
    }
}
