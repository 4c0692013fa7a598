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

    @Test("an account is due at expiry − lead − jitter, the jitter below a tenth of the lead and 60 s", arguments: [31_000, 40_000, 300_000, 900_000, 3_000_000] as [Int64])
    func dueTimeWithinJitter(leadMs: Int64) throws {
        let schedule = RefreshSchedule(leadMs: leadMs)
        let span = min(leadMs / 10, 60_000)
        for index in 0..<50 {
            let subject = account("acct_\(index)", expiry: Self.now + Self.hour + Int64(index) * 7)
            let due = try #require(schedule.dueTime(of: subject, nowMs: Self.now))
            let jitter = subject.token.expiryDate - leadMs - due
            #expect(jitter >= 0 && jitter < max(span, 1), "jitter \(jitter) for lead \(leadMs)")
            #expect(due < RefreshSchedule.hardDeadline(of: subject))
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

    @Test("transient failures back off 5 s, 10 s, 20 s … capped at 300 s when the deadline is far")
    func exponentialBackoff() {
        var schedule = RefreshSchedule(leadMs: 300_000)
        let subject = account(expiry: Self.now + 10 * Self.hour)
        let expected: [Int64] = [5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]
        for delay in expected {
            let retry = schedule.recordTransientFailure(of: subject, retryAfterMs: nil, nowMs: Self.now)
            #expect(retry == Self.now + delay)
            #expect(schedule.dueTime(of: subject, nowMs: Self.now) == retry)
        }
    }

    @Test("Retry-After is honoured when longer than the back-off")
    func retryAfterHonoured() {
        var schedule = RefreshSchedule(leadMs: 300_000)
        let subject = account(expiry: Self.now + 10 * Self.hour)
        #expect(schedule.recordTransientFailure(of: subject, retryAfterMs: 42_000, nowMs: Self.now) == Self.now + 42_000)
        #expect(schedule.recordTransientFailure(of: subject, retryAfterMs: 1_000, nowMs: Self.now) == Self.now + 10_000)
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
        #expect(schedule.recordTransientFailure(of: subject, retryAfterMs: nil, nowMs: Self.now) == Self.now + 5_000)
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
}
