import QwenSyncCore

/// When a ``ControlRequest/refresh(accountID:when:)`` should really refresh, judged by the
/// daemon against the token it holds for the account.
///
/// On the wire: `"min_ttl_ms": N` for ``ifExpiringWithin(_:)``; `"force": true`,
/// optionally with `"unless_rotated_since": EXPIRY_MS`, for ``forced(whileExpiryIs:)``. A
/// request with neither (the original form) is a forced refresh.
public enum RefreshCondition: Sendable, Equatable {
    /// Only when less than this is left (`qwen-sync token --min-ttl`); `0` only once expired.
    case ifExpiringWithin(Duration)
    /// Now, whatever is left; with `whileExpiryIs`, only while the account's token still expires
    /// at that time, i.e. it is still the token the caller used (serve's one refresh after a
    /// 401). The expiry stands for the token: it is no secret.
    case forced(whileExpiryIs: Int64?)

    /// Whether an account whose token expires at `expiryMs` needs the refresh at `nowMs`.
    public func needsRefresh(expiryMs: Int64, nowMs: Int64) -> Bool {
        switch self {
        case .ifExpiringWithin(let lead): expiryMs - nowMs < lead.inMilliseconds
        case .forced(let whileExpiryIs): whileExpiryIs.map { $0 == expiryMs } ?? true
        }
    }

    /// The request's fields for this condition.
    var jsonFields: [(String, JSONValue)] {
        switch self {
        case .ifExpiringWithin(let lead): [("min_ttl_ms", .int(lead.inMilliseconds))]
        case .forced(let whileExpiryIs): [("force", true)] + (whileExpiryIs.map { [("unless_rotated_since", JSONValue.int($0))] } ?? [])
        }
    }

    /// Decodes the condition of a refresh request.
    init(_ object: JSONObject) throws(ControlProtocolError) {
        let minTTL = object["min_ttl_ms"]
        let force = object["force"]
        let guardExpiry = object["unless_rotated_since"]
        if let minTTL, !minTTL.isNull {
            guard let milliseconds = minTTL.int64Value, milliseconds >= 0 else {
                throw ControlProtocolError("malformed request: \"min_ttl_ms\" must be a whole number of milliseconds, 0 or more")
            }
            guard force?.boolValue != true, guardExpiry == nil || guardExpiry?.isNull == true else {
                throw ControlProtocolError("malformed request: give \"min_ttl_ms\" or \"force\", not both")
            }
            self = .ifExpiringWithin(.milliseconds(milliseconds))
            return
        }
        guard force == nil || force?.isNull == true || force?.boolValue != nil else {
            throw ControlProtocolError("malformed request: \"force\" must be true or false")
        }
        guard guardExpiry == nil || guardExpiry?.isNull == true || guardExpiry?.int64Value != nil else {
            throw ControlProtocolError("malformed request: \"unless_rotated_since\" must be the expiry_date (ms) of the token the client used")
        }
        self = .forced(whileExpiryIs: guardExpiry?.int64Value)
    }
}
