import QwenExec

/// What an upstream answer means for the request (`docs/INTEROP.md` §6, §10).
public enum UpstreamVerdict: Sendable, Equatable {
    /// 2xx: hand it to the client.
    case success
    /// 401, or 403 that is not a quota error: the access token was refused.
    case authRejected
    /// 429 or 403 that reports an exhausted quota.
    case quotaExhausted
    /// Another 429, 408, 5xx, a timeout or a broken connection: worth another try.
    case transient
    /// Any other 4xx: the request itself is at fault; passed to the client as it is.
    case clientError

    /// Judges a status and (for errors) the start of the body.
    public static func classify(status: Int, body: String) -> UpstreamVerdict {
        switch status {
        case 200..<300: .success
        case 429 where QuotaErrorDetector.isQuotaError(body), 403 where QuotaErrorDetector.isQuotaError(body): .quotaExhausted
        case 401, 403: .authRejected
        case 408, 429, 500...: .transient
        default: .clientError
        }
    }
}

/// The next step of one request after an upstream answer.
public enum FailoverStep: Sendable, Equatable {
    /// Give the answer to the client.
    case deliver
    /// Refresh this account once (never twice for one request) and send again.
    case refreshAndRetry
    /// Mark the account exhausted as the plugin does and send the same payload to the next one.
    case markExhaustedAndMoveOn
    /// Send to the same account again after waiting this long.
    case retry(after: Duration)
    /// Leave this account alone for this request and try the next healthy one.
    case moveOn
}

/// The failover rules for one request, as pure decisions: given each answer, what to do next.
///
/// 401 → one forced refresh of the account, then one retry, then the next account; quota →
/// mark exhausted, next account; transient → at most ``backoff``.count retries on the same
/// account with those waits, then the next account; other 4xx → deliver.
public struct FailoverPlan: Sendable {
    /// The waits before each retry of a transient failure on one account.
    public var backoff: [Duration]
    /// Accounts refreshed for this request.
    private var refreshed: Set<String> = []
    /// Transient failures seen per account.
    private var transientFailures: [String: Int] = [:]
    /// How many times the request was sent again, all accounts together.
    public private(set) var retries = 0

    /// A plan with these waits (default 250 ms, then 1 s).
    public init(backoff: [Duration] = [.milliseconds(250), .seconds(1)]) {
        self.backoff = backoff
    }

    /// The step after `verdict` from `account`.
    public mutating func step(after verdict: UpstreamVerdict, account: String) -> FailoverStep {
        let step: FailoverStep
        switch verdict {
        case .success, .clientError:
            return .deliver
        case .authRejected:
            step = refreshed.insert(account).inserted ? .refreshAndRetry : .moveOn
        case .quotaExhausted:
            step = .markExhaustedAndMoveOn
        case .transient:
            let seen = transientFailures[account, default: 0]
            transientFailures[account] = seen + 1
            step = seen < backoff.count ? .retry(after: backoff[seen]) : .moveOn
        }
        retries += 1
        return step
    }
}
