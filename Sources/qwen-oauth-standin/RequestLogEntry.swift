import QwenSyncCore

/// One token-endpoint request, as `GET /__admin/stats` lists it.
struct RequestLogEntry: Sendable {
    /// The `grant_type` form field (empty when missing).
    let grantType: String
    /// The outcome: `success`, an OAuth error code, or the fault kind.
    let result: String
    /// The HTTP status sent (0 when none was: `hang`, `reset`).
    let status: Int
    /// The `User-Agent` header (empty when missing), to tell clients apart.
    let client: String
    /// The injected fault kind, if one applied.
    let fault: String?
    /// The account a refresh token belonged to, when the request named a known one.
    var sub: String? = nil
    /// When the request was answered (wall clock, ms).
    var atMs: Int64 = WallClock.nowMs()

    /// The entry as JSON: `grant_type`, `result`, `status`, `client`, `at_ms`, and `fault`
    /// and `sub` when set.
    var json: JSONValue {
        var object = JSONObject([
            ("grant_type", .string(grantType)), ("result", .string(result)),
            ("status", .int(Int64(status))), ("client", .string(client)), ("at_ms", .int(atMs)),
        ])
        if let fault { object["fault"] = .string(fault) }
        if let sub { object["sub"] = .string(sub) }
        return .object(object)
    }
}
