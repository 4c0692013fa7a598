import QwenSyncCore

/// When each account is refreshed next: pure arithmetic over the store, unit-tested.
///
/// An account is due at `expiry − lead − jitter`, where the jitter (stable per account and
/// token, up to a tenth of the lead and at most 120 s) spreads accounts that expire together.
/// The default lead, 40 min, starts before the widest refresh window of any known client (the
/// accounts plugin refreshes inside the last 30 min), so with the daemon running no client
/// ever needs to refresh by itself.
///
/// After a transient failure a retry time replaces that: 2 s, doubling, at most 10 s while the
/// token is inside a client's window or expired (so an outage ends within seconds of the
/// server answering again), at most 60 s before that; never later than the hard deadline
/// `expiry − 30 s` minus a margin while that can still be met. Retry state is forgotten as
/// soon as fresher tokens appear, from this daemon or a peer. `auth_invalid` accounts are not
/// scheduled. A token that lives shorter than the lead is refreshed halfway through its life
/// rather than in a loop.
///
/// All arithmetic on times saturates: an `expiry_date` of `Int64.min` or `Int64.max` read from
/// a file gives a due time at the end of the range, never a trap.
public struct RefreshSchedule: Sendable {
    /// How long before expiry a refresh starts, in milliseconds.
    public var leadMs: Int64
    /// Retry times after transient failures, by account id.
    public private(set) var retryAtMs: [String: Int64] = [:]
    /// Consecutive transient failures, by account id.
    private var failures: [String: Int] = [:]
    /// The refresh token whose refresh failed, by account id: a retry refreshes only while the
    /// account still holds it (a peer may have refreshed meanwhile).
    public private(set) var failedRefreshTokens: [String: String] = [:]
    /// When this daemon last stored a refreshed token, by account id.
    private var refreshedAtMs: [String: Int64] = [:]

    /// qwen-code refreshes when less than 30 s remain; we must be done before that.
    public static let clientRefreshWindowMs: Int64 = 30_000
    /// The widest window in which a known client refreshes by itself (the accounts plugin: 30 min).
    public static let widestClientWindowMs: Int64 = 30 * 60_000
    /// The default lead: the widest client window and 10 min to spare for retries.
    public static let defaultLeadMs: Int64 = 40 * 60_000

    /// A schedule with this lead time.
    public init(leadMs: Int64) { self.leadMs = leadMs }

    /// When `account` should be refreshed next, or `nil` when it must not be.
    public func dueTime(of account: StoredAccount, nowMs: Int64) -> Int64? {
        guard account.state(nowMs: nowMs) != .authInvalid else { return nil }
        if let retry = retryAtMs[account.id] { return retry }
        let due = account.token.expiryDate.minus(leadMs).minus(jitter(for: account))
        // A token that lives shorter than the lead would be due again the moment this daemon
        // stored it: refresh it halfway through its life instead (still before the deadline).
        if let storedAt = refreshedAtMs[account.id], due <= storedAt, account.token.expiryDate > storedAt {
            let halfway = storedAt.plus(account.token.expiryDate.minus(storedAt) / 2)
            return max(storedAt.plus(1_000), min(halfway, Self.hardDeadline(of: account).minus(5_000)))
        }
        return due
    }

    /// The hard deadline by which `account` must have been refreshed.
    public static func hardDeadline(of account: StoredAccount) -> Int64 {
        account.token.expiryDate.minus(clientRefreshWindowMs)
    }

    /// Records a transient failure and returns the retry time chosen.
    @discardableResult
    public mutating func recordTransientFailure(of account: StoredAccount, retryAfterMs: Int64?, nowMs: Int64) -> Int64 {
        let count = (failures[account.id] ?? 0) + 1
        failures[account.id] = count
        failedRefreshTokens[account.id] = account.token.refreshToken
        let urgent = account.token.expiryDate.minus(nowMs) <= Self.widestClientWindowMs
        let backoff = min(Int64(2_000) << min(count - 1, 6), urgent ? 10_000 : 60_000)
        var retry = nowMs.plus(max(backoff, min(retryAfterMs ?? 0, urgent ? 60_000 : 600_000)))
        // Never let the back-off carry a retry past the hard deadline while it can still be met:
        // aim for 5 s before it, or one second from now when that is already too late.
        let deadline = Self.hardDeadline(of: account)
        if retry > deadline.minus(5_000), nowMs.plus(1_000) < deadline { retry = max(nowMs.plus(1_000), deadline.minus(5_000)) }
        retryAtMs[account.id] = retry
        return retry
    }

    /// Records that a refresh of `accountID` stored a new token at `nowMs`.
    public mutating func recordRefreshed(_ accountID: String, nowMs: Int64) {
        recordSuccess(of: accountID)
        refreshedAtMs[accountID] = nowMs
    }

    /// Forgets failures after a success (or when the account is gone).
    public mutating func recordSuccess(of accountID: String) {
        retryAtMs[accountID] = nil
        failures[accountID] = nil
        failedRefreshTokens[accountID] = nil
    }

    /// Asks for an immediate refresh of `accountID` (e.g. to verify a restored file).
    public mutating func refreshSoon(_ accountID: String, nowMs: Int64) {
        retryAtMs[accountID] = nowMs
    }

    /// Brings every pending retry forward to `nowMs` (the network came back).
    public mutating func retryNow(nowMs: Int64) {
        retryAtMs = retryAtMs.mapValues { min($0, nowMs) }
    }

    /// Moves every time this schedule derived from the wall clock by `deltaMs`: after the
    /// clock was set back, a retry meant for 2 s from now stays 2 s away instead of an hour.
    public mutating func shift(by deltaMs: Int64) {
        retryAtMs = retryAtMs.mapValues { $0.plus(deltaMs) }
        refreshedAtMs = refreshedAtMs.mapValues { $0.plus(deltaMs) }
    }

    /// The earliest an account can be due: the lead and the widest jitter before expiry. A
    /// refresh finding more time left than this knows someone else already refreshed.
    public var earliestDueBeforeExpiryMs: Int64 { leadMs + Self.maxJitterMs }

    /// The widest jitter (a tenth of the lead, at most this).
    static let maxJitterMs: Int64 = 120_000

    private func jitter(for account: StoredAccount) -> Int64 {
        let span = min(leadMs / 10, Self.maxJitterMs)
        guard span > 0 else { return 0 }
        var hash: UInt64 = 1469598103934665603
        for byte in (account.id + String(account.token.expiryDate)).utf8 {
            hash = (hash ^ UInt64(byte)) &* 1099511628211
        }
        return Int64(hash % UInt64(span))
    }
}

extension Int64 {
    /// `self + other`, held at the ends of the range instead of trapping.
    func plus(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }

    /// `self − other`, held at the ends of the range instead of trapping.
    func minus(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        return overflow ? (other > 0 ? .min : .max) : difference
    }
}
