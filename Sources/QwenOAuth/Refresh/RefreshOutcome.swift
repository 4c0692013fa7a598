import QwenSyncCore

/// How a refresh attempt for one account ended. Never carries a token.
public enum RefreshOutcome: Sendable, Equatable, CustomStringConvertible {
    /// New tokens were stored; the access token now expires at `expiresAtMs`.
    case refreshed(accountID: String, expiresAtMs: Int64)
    /// Another process had already refreshed; nothing was sent.
    case alreadyFresh(accountID: String, expiresAtMs: Int64)
    /// The server could not be reached or answered badly; the stored tokens are unchanged.
    case transientFailure(accountID: String, reason: String, retryAfterMs: Int64?)
    /// The refresh token was refused (now or before, under this configuration): the account is
    /// now `auth_invalid`, its token kept; `switchedTo` is the account made active instead,
    /// when it was active and the refusal is about its token (``Refusal/concernsToken``).
    case invalidated(accountID: String, reason: Refusal, switchedTo: String?)
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
        case .invalidated(let id, let refusal, let next):
            if refusal.sameForEveryAccount {
                "\(id): every account was refused the same way (\(refusal)): the configuration is the likely cause, not the logins"
                    + " (token endpoint \(refusal.configuration.tokenURL), client id \(refusal.clientID)); fix --oauth-base-url or"
                    + " --oauth-client-id (QWEN_SYNC_OAUTH_BASE_URL, QWEN_SYNC_OAUTH_CLIENT_ID): the kept tokens are presented again"
                    + " at once, nothing is lost"
            } else if refusal.concernsToken {
                "\(id): the server rejected its refresh token (\(refusal)); marked auth_invalid, log it in again with `qwen-sync login --account \(id)`"
                    + (next.map { "; \($0) is active now" } ?? "")
            } else {
                "\(id): the server refused its refresh token (\(refusal)), an answer that a wrong configuration gives too (token endpoint"
                    + " \(refusal.configuration.tokenURL), client id \(refusal.clientID)); the token is kept and presented again when"
                    + " the configuration changes, on `qwen-sync accounts reset \(id)` or `qwen-sync refresh \(id)`; if the login is"
                    + " really gone, `qwen-sync login --account \(id)`"
            }
        case .notFound(let reference): "no account matches \"\(reference)\""
        }
    }

    /// "59 min" or "45 s".
    private static func lifetime(_ milliseconds: Int64) -> String {
        let seconds = max(0, milliseconds) / 1000
        return seconds >= 120 ? "\(seconds / 60) min" : "\(seconds) s"
    }
}

/// Why an account's refresh token was not accepted, and what that probably means.
public struct Refusal: Sendable, Equatable, CustomStringConvertible {
    /// `HTTP 400 invalid_request: …`, or why the token was not sent. Never a token.
    public var summary: String
    /// What the refusal was measured under; `nil` when the token was withheld because it was
    /// rotated out, or refused by a version that kept no evidence.
    public var evidence: RefusalEvidence?
    /// The configuration of the refresh (shown with a refusal that may be its fault).
    public var configuration: RefreshConfiguration
    /// The client id in clear (public: qwen-code ships it), so that a typo can be seen.
    public var clientID: String
    /// Whether every account's current token was refused this same way: the configuration,
    /// not the logins, is the likely cause.
    public var sameForEveryAccount: Bool

    /// A refusal.
    public init(summary: String, evidence: RefusalEvidence?, configuration: RefreshConfiguration, clientID: String, sameForEveryAccount: Bool) {
        self.summary = summary
        self.evidence = evidence
        self.configuration = configuration
        self.clientID = clientID
        self.sameForEveryAccount = sameForEveryAccount
    }

    /// Whether the refusal is about this account's token (so switching to another account
    /// helps): `invalid_grant`, or a token known to be rotated out. Any other refusal may be
    /// the configuration's fault and switches nothing.
    public var concernsToken: Bool { evidence?.concernsToken ?? true }

    public var description: String { summary }
}
