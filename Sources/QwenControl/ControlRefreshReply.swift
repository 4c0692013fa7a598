import QwenSyncCore

/// The daemon's answer to a ``ControlRequest/refresh(accountID:when:)`` it served. It never
/// holds a token: the client reads the store afterwards.
///
/// On the wire: `{"ok":true,"account":ID,"refreshed":BOOL,"expiry_date":MS}`;
/// `{"error":MESSAGE,"account":ID,"login_required":true}`; `{"error":MESSAGE,"account":ID}`.
/// A request the daemon will not serve gets ``ControlReply/declined(_:)`` instead.
public enum ControlRefreshReply: Sendable, Equatable {
    /// The account's token is fresh enough: `refreshed` when this request's refresh (or the
    /// one it joined) got new tokens, `false` when nothing was needed; now it expires at `expiryMs`.
    case done(accountID: String, refreshed: Bool, expiryMs: Int64)
    /// The server refused the account's refresh token: it must log in again.
    case loginRequired(accountID: String, message: String)
    /// The refresh failed for now (network, server error, the files); the stored tokens are unchanged.
    case failed(accountID: String, message: String)

    /// The reply as sent.
    public var json: JSONValue {
        switch self {
        case .done(let id, let refreshed, let expiryMs):
            .object(JSONObject([("ok", true), ("account", .string(id)), ("refreshed", .bool(refreshed)), ("expiry_date", .int(expiryMs))]))
        case .loginRequired(let id, let message):
            .object(JSONObject([("error", .string(message)), ("account", .string(id)), ("login_required", true)]))
        case .failed(let id, let message):
            .object(JSONObject([("error", .string(message)), ("account", .string(id))]))
        }
    }

    /// Decodes a reply; `nil` for one that is not a refresh reply (declined, unsupported, or
    /// another kind of answer).
    public init?(json: JSONValue) {
        guard let object = json.objectValue, !ControlReply.isDeclined(json), let id = object["account"]?.stringValue else { return nil }
        if object["ok"]?.boolValue == true, let refreshed = object["refreshed"]?.boolValue, let expiry = object["expiry_date"]?.int64Value {
            self = .done(accountID: id, refreshed: refreshed, expiryMs: expiry)
        } else if let message = object["error"]?.stringValue {
            self = object["login_required"]?.boolValue == true ? .loginRequired(accountID: id, message: message) : .failed(accountID: id, message: message)
        } else {
            return nil
        }
    }
}

extension ControlClient {
    /// How long a client waits for a refresh's answer: the OAuth request's own timeout, the
    /// wait for a peer's lock and a margin; the daemon ends the request a little before.
    public static let refreshReplyTimeout = Duration.seconds(40)

    /// Asks the daemon at `path` to refresh as `condition` says, waiting for the outcome.
    ///
    /// - Returns: the daemon's answer, or `nil` when no daemon of this user answers there, it
    ///   does not serve refreshes, or it declined this one (preparing to sleep, files not read
    ///   yet, account unknown to it): the caller then refreshes under the locks itself.
    public static func refresh(
        accountID: String?, when condition: RefreshCondition, at path: String, connectTimeout: Duration = .milliseconds(250)
    ) -> ControlRefreshReply? {
        guard
            let reply = try? request(
                .refresh(accountID: accountID, when: condition), at: path, timeout: connectTimeout, replyTimeout: refreshReplyTimeout)
        else { return nil }
        return ControlRefreshReply(json: reply)
    }
}
