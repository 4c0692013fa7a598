import QwenSyncCore
import Testing

@testable import QwenSyncDaemon

/// Refresh timing: due times, jitter, back-off and the hard deadline.
@Suite("RefreshSchedule")
struct RefreshScheduleTests {
    static let now: Int64 = 1_800_000_000_000
    static let hour: Int64 = 3_600_000

    private func account(_ id: String = "A", expiry: Int64 = now + hour, until: Int64 = 0, code: String? = nil) -> StoredAccount {
        TokenFactory.account(id, TokenFactory.credentials(sub: id, refresh: "rt-\(id)", expiry: expiry), until: until, code: code)
    }

    @Test(
        "an account is due at expiry − lead − jitter, the jitter below a tenth of the lead and 120 s",
        arguments: [31_000, 40_000, 300_000, 900_000, 3_000_000] as [Int64])
    func dueTimeWithinJitter(leadMs: Int64) throws {
        let schedule = RefreshSchedule(leadMs: leadMs)
        let span = min(leadMs / 10, 120_000)
        for index in 0..<50 {
            let subject = account("acct_\(index)", expiry: Self.now + Self.hour + Int64(index) * 7)
            let due = try #require(schedule.dueTime(of: subject, nowMs: Self.now))
            let jitter = subject.token.expiryDate - leadMs - due
            #expect(jitter >= 0 && jitter < max(span, 1), "jitter \(jitter) for lead \(leadMs)")
            #expect(due < RefreshSchedule.hardDeadline(of: subject))
            #expect(subject.token.expiryDate - due <= schedule.earliestDueBeforeExpiryMs, "a due refresh is never judged already fresh")
        }
    }

    @Test("a token living shorter than the lead is refreshed halfway through its life, not in a loop")
    func shortLivedToken() throws {
        var schedule = RefreshSchedule(leadMs: 300_000)
        let storedAt = Self.now
        let subject = account("A", expiry: storedAt + 60_000)
        #expect(schedule.dueTime(of: subject, nowMs: storedAt) ?? .max <= storedAt, "found expiring: due at once")
        schedule.recordRefreshed("A", nowMs: storedAt)
        let due = try #require(schedule.dueTime(of: subject, nowMs: storedAt))
        #expect(due > storedAt, "not due the moment it was stored")
        #expect(due <= RefreshSchedule.hardDeadline(of: subject) - 5_000)
        #expect(due == storedAt + 25_000)
    }

    @Test("the jitter is stable for one token and spreads accounts expiring together")
    func jitterStableAndSpread() throws {
        let schedule = RefreshSchedule(leadMs: 300_000)
        let one = account("acct_one")
        #expect(schedule.dueTime(of: one, nowMs: Self.now) == schedule.dueTime(of: one, nowMs: Self.now + 12_345))
        let dues = Set((0..<20).compactMap { schedule.dueTime(of: account("acct_\($0)"), nowMs: Self.now) })
        #expect(dues.count > 10, "20 accounts expiring together got only \(dues.count) distinct due times")
    }

    @Test("a lead of zero has no jitter")
    func zeroLead() {
        let subject = account()
        #expect(RefreshSchedule(leadMs: 0).dueTime(of: subject, nowMs: Self.now) == subject.token.expiryDate)
    }

    @Test("auth_invalid accounts are not scheduled; accounts cooling down on quota are")
    func healthDecidesScheduling() {
        let schedule = RefreshSchedule(leadMs: 300_000)
        #expect(schedule.dueTime(of: account(until: Self.now + Self.hour, code: AccountErrorCode.authInvalid), nowMs: Self.now) == nil)
        #expect(schedule.dueTime(of: account(until: Self.now + Self.hour, code: AccountErrorCode.insufficientQuota), nowMs: Self.now) != nil)
        // An auth_invalid cooldown that has ended is healthy again and scheduled.
        #expect(schedule.dueTime(of: account(until: Self.now - 1, code: AccountErrorCode.authInvalid), nowMs: Self.now) != nil)
    }

    @Test("the hard deadline is 30 s before expiry")
    func hardDeadline() {
        let subject = account(expiry: Self.now + 100_000)
        #expect(RefreshSchedule.hardDeadline(of: subject) == Self.now + 70_000)
        #expect(RefreshSchedule.clientRefreshWindowMs == 30_000)
    }

    @Test("transient failures back off 2 s, 4 s, 8 s … capped at 60 s while no client would refresh yet")
    func exponentialBackoff() {
        var schedule = RefreshSchedule(leadMs: RefreshSchedule.defaultLeadMs)
        let subject = account(expiry: Self.now + 10 * Self.hour)
        let expected: [Int64] = [2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]
        for delay in expected {
            let retry = schedule.recordTransientFailure(of: subject, retryAfterMs: nil, nowMs: Self.now)
            #expect(retry == Self.now + delay)
            #expect(schedule.dueTime(of: subject, nowMs: Self.now) == retry)
        }
    }

    @Test("inside a client's refresh window or expired, the back-off is capped at 10 s", arguments: [-Self.hour, -1, 60_000, 29 * 60_000] as [Int64])
    func urgentBackoff(remainingMs: Int64) {
        var schedule = RefreshSchedule(leadMs: RefreshSchedule.defaultLeadMs)
        let subject = account(expiry: Self.now + remainingMs)
        var delays: [Int64] = []
        for _ in 0..<8 { delays.append(schedule.recordTransientFailure(of: subject, retryAfterMs: nil, nowMs: Self.now) - Self.now) }
        #expect(delays.allSatisfy { $0 > 0 && $0 <= 10_000 }, "\(delays)")
        #expect(delays.last == (remainingMs > 100_000 ? 10_000 : delays.last), "\(delays)")
    }

    @Test("Retry-After is honoured when longer than the back-off, up to 10 min (1 min once urgent)")
    func retryAfterHonoured() {
        var schedule = RefreshSchedule(leadMs: RefreshSchedule.defaultLeadMs)
        let subject = account(expiry: Self.now + 10 * Self.hour)
        #expect(schedule.recordTransientFailure(of: subject, retryAfterMs: 42_000, nowMs: Self.now) == Self.now + 42_000)
        #expect(schedule.recordTransientFailure(of: subject, retryAfterMs: 1_000, nowMs: Self.now) == Self.now + 4_000)
        #expect(schedule.recordTransientFailure(of: subject, retryAfterMs: 3_600_000, nowMs: Self.now) == Self.now + 600_000)
        let urgent = account("U", expiry: Self.now + 20 * 60_000)
        #expect(schedule.recordTransientFailure(of: urgent, retryAfterMs: 3_600_000, nowMs: Self.now) == Self.now + 60_000)
    }

    @Test("the default lead is ahead of the widest known client window")
    func defaultLead() {
        #expect(RefreshSchedule.defaultLeadMs > RefreshSchedule.widestClientWindowMs)
        #expect(RefreshSchedule.widestClientWindowMs == 30 * 60_000)
    }

    @Test("a retry never lands after the last chance before the hard deadline", arguments: [36_000, 45_000, 60_000, 120_000, 400_000] as [Int64])
    func retryClampedToDeadline(remainingMs: Int64) {
        var schedule = RefreshSchedule(leadMs: 300_000)
        let subject = account(expiry: Self.now + remainingMs)
        let lastChance = RefreshSchedule.hardDeadline(of: subject) - 5_000
        var clock = Self.now
        for _ in 0..<8 {
            let retry = schedule.recordTransientFailure(of: subject, retryAfterMs: 600_000, nowMs: clock)
            if lastChance > clock + 1_000 {
                #expect(retry <= lastChance, "retry \(retry - clock) ms after now passes the last chance \(lastChance - clock) ms")
                #expect(retry > clock)
            } else if clock + 1_000 < RefreshSchedule.hardDeadline(of: subject) {
                #expect(retry == clock + 1_000, "past the last chance but before the deadline: retry in a second")
            } else {
                #expect(retry > clock, "a retry is always in the future")
            }
            clock = max(clock + 1_000, retry)
        }
    }

    @Test("a success forgets the failures: back to the normal due time and the first back-off step")
    func successResets() {
        var schedule = RefreshSchedule(leadMs: 300_000)
        let subject = account(expiry: Self.now + 10 * Self.hour)
        let normal = schedule.dueTime(of: subject, nowMs: Self.now)
        schedule.recordTransientFailure(of: subject, retryAfterMs: nil, nowMs: Self.now)
        schedule.recordTransientFailure(of: subject, retryAfterMs: nil, nowMs: Self.now)
        schedule.recordSuccess(of: subject.id)
        #expect(schedule.dueTime(of: subject, nowMs: Self.now) == normal)
        #expect(schedule.retryAtMs.isEmpty)
        #expect(schedule.recordTransientFailure(of: subject, retryAfterMs: nil, nowMs: Self.now) == Self.now + 2_000)
    }

    @Test("refreshSoon makes an account due now; failures are per account")
    func refreshSoonAndIsolation() {
        var schedule = RefreshSchedule(leadMs: 300_000)
        let a = account("A", expiry: Self.now + 10 * Self.hour)
        let b = account("B", expiry: Self.now + 10 * Self.hour)
        schedule.refreshSoon("A", nowMs: Self.now)
        #expect(schedule.dueTime(of: a, nowMs: Self.now) == Self.now)
        let normalB = schedule.dueTime(of: b, nowMs: Self.now)
        schedule.recordTransientFailure(of: a, retryAfterMs: nil, nowMs: Self.now)
        #expect(schedule.dueTime(of: b, nowMs: Self.now) == normalB)
    }

    @Test("an expiry_date at either end of Int64 saturates instead of trapping (issue #20, item 2)", arguments: [Int64.min, .min + 1, -1, .max - 1, .max])
    func extremeExpirySaturates(expiry: Int64) throws {
        var schedule = RefreshSchedule(leadMs: RefreshSchedule.defaultLeadMs)
        let subject = account(expiry: expiry)
        let due = try #require(schedule.dueTime(of: subject, nowMs: Self.now))
        #expect(expiry < Self.now ? due <= Self.now : due > Self.now, "expired: due at once; far off: not yet")
        _ = RefreshSchedule.hardDeadline(of: subject)
        let retry = schedule.recordTransientFailure(of: subject, retryAfterMs: .max, nowMs: Self.now)
        #expect(retry > Self.now)
        schedule.recordRefreshed(subject.id, nowMs: Self.now)
        _ = schedule.dueTime(of: subject, nowMs: Self.now)
        schedule.shift(by: .min)
        schedule.shift(by: .max)
    }
}
