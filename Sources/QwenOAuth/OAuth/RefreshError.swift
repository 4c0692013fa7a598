import QwenSyncCore

/// Why a refresh-token grant failed, classified by what the caller should do next.
///
/// Reasons carry the HTTP status, the server's error code and a sanitized, shortened
/// description; they never contain a token.
public enum RefreshError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server refused the refresh token (HTTP 400 or 401, `invalid_grant`,
    /// `invalid_request`, `invalid_client`): retrying with the same token under the same
    /// configuration cannot succeed. `evidence` says what the refusal was measured under.
    case terminal(reason: String, evidence: RefusalEvidence)
    /// The refresh may succeed later (timeout, reset, 5xx, 429, garbage body); wait at least
    /// `retryAfter` when the server said so.
    case transient(reason: String, retryAfter: Duration?)

    /// The reason without the classification.
    public var reason: String {
        switch self {
        case .terminal(let reason, _), .transient(let reason, _): reason
        }
    }

    /// Whether the refresh token is dead.
    public var isTerminal: Bool {
        if case .terminal = self { return true }
        return false
    }

    /// `refresh rejected: …` or `refresh failed (temporary): …`.
    public var description: String {
        switch self {
        case .terminal(let reason, _):
            return "refresh rejected: \(reason)"
        case .transient(let reason, let retryAfter):
            let hint = retryAfter.map { ", retry after \($0.inMilliseconds / 1000) s" } ?? ""
            return "refresh failed (temporary): \(reason)\(hint)"
        }
    }
}
