import QwenSyncCore

/// How a refresh attempt for one account ended. Never carries a token.
public enum RefreshOutcome: Sendable, Equatable, CustomStringConvertible {
    /// New tokens were stored; the access token now expires at `expiresAtMs`.
    case refreshed(accountID: String, expiresAtMs: Int64)
    /// Another process had already refreshed; nothing was sent.
    case alreadyFresh(accountID: String, expiresAtMs: Int64)
    /// The server could not be reached or answered badly; the stored tokens are unchanged.
    case transientFailure(accountID: String, reason: String, retryAfterMs: Int64?)
    /// The refresh token is dead: the account is now `auth_invalid`; `switchedTo` is the
    /// account made active instead, if it was active.
    case invalidated(accountID: String, reason: String, switchedTo: String?)
    /// No account matches.
    case notFound(reference: String)

    /// The account concerned.
    public var accountID: String? {
        switch self {
        case .refreshed(let id, _), .alreadyFresh(let id, _), .transientFailure(let id, _, _), .invalidated(let id, _, _): id
        case .notFound: nil
        }
    }

    /// Whether the account has usable, fresh tokens afterwards.
    public var succeeded: Bool {
        switch self {
        case .refreshed, .alreadyFresh: true
        default: false
        }
    }

    /// The short result recorded in status (`ok`, `skipped`, or the reason).
    public var resultText: String {
        switch self {
        case .refreshed: "ok"
        case .alreadyFresh: "already fresh"
        case .transientFailure(_, let reason, _): "temporary failure: \(reason)"
        case .invalidated(_, let reason, _): "rejected: \(reason)"
        case .notFound: "no such account"
        }
    }

    public var description: String {
        switch self {
        case .refreshed(let id, let expiry): "\(id): refreshed; the token is valid for \(Self.lifetime(expiry - WallClock.nowMs()))"
        case .alreadyFresh(let id, _): "\(id): already refreshed by another process; nothing sent"
        case .transientFailure(let id, let reason, _): "\(id): refresh failed, will retry: \(reason)"
        case .invalidated(let id, let reason, let next):
            "\(id): the server rejected its refresh token (\(reason)); marked auth_invalid, log it in again with `qwen-sync login --account \(id)`"
                + (next.map { "; \($0) is active now" } ?? "")
        case .notFound(let reference): "no account matches \"\(reference)\""
        }
    }

    /// "59 min" or "45 s".
    private static func lifetime(_ milliseconds: Int64) -> String {
        let seconds = max(0, milliseconds) / 1000
        return seconds >= 120 ? "\(seconds / 60) min" : "\(seconds) s"
    }
}
