import QwenControl
import QwenOAuth
import QwenSyncCore
import Testing

@testable import QwenSyncDaemon

/// Refreshes clients ask for on the control socket (`qwen-sync token`, serve's 401), decided by
/// ``DaemonCore`` with a fake clock: answered at once when fresh enough, joined to a refresh in
/// flight, never a second concurrent refresh, every waiter answered, refused while sleeping.
@Suite("DaemonCore: refresh requests")
struct RefreshRequestCoreTests {
    typealias Scene = DaemonCoreTests.Scene
    static let start = DaemonCoreTests.start
    static let hour = DaemonCoreTests.hour

    /// The answers among `actions`, by request id.
    static func replies(_ actions: [DaemonAction]) -> [UInt64: JSONValue] {
        var replies: [UInt64: JSONValue] = [:]
        for case .reply(let id, let reply) in actions { replies[id] = reply }
        return replies
    }

    static func ask(_ id: UInt64, _ account: String?, _ condition: RefreshCondition) -> DaemonEvent {
        .refreshRequested(DaemonRefreshRequest(id: id, account: account, condition: condition))
    }

    @Test("fresh enough: answered at once with nothing to do, no refresh")
    func freshEnough() throws {
        let expiry = Self.start + 3 * Self.hour
        var scene = Scene(accounts: [DaemonCoreTests.account("A", expiry: expiry)], active: "A")
        let actions = scene.handle(Self.ask(1, nil, .ifExpiringWithin(.milliseconds(Self.hour))))
        #expect(ControlRefreshReply(json: try #require(Self.replies(actions)[1])) == .done(accountID: "A", refreshed: false, expiryMs: expiry))
        #expect(scene.count(DaemonCoreTests.isRefresh) == 0)
    }

    @Test("not fresh enough: one refresh with the client's own condition as policy, answered when it ends")
    func schedulesOne() throws {
        var scene = Scene(accounts: [DaemonCoreTests.account("A", expiry: Self.start + 3 * Self.hour)], active: "A")
        let actions = scene.handle(Self.ask(7, "A", .ifExpiringWithin(.milliseconds(4 * Self.hour))))
        #expect(Self.replies(actions).isEmpty, "the client waits")
        #expect(scene.refreshInFlight?.accountID == "A")
        #expect(scene.refreshInFlight?.policy == .ifExpiringWithin(.milliseconds(4 * Self.hour)))
        let before = scene.performed.count
        scene.finishRefresh()
        let reply = try #require(Self.replies(Array(scene.performed[before...]))[7])
        #expect(ControlRefreshReply(json: reply) == .done(accountID: "A", refreshed: true, expiryMs: scene.now.wallMs + 6 * Self.hour))
        #expect(scene.count(DaemonCoreTests.isRefresh) == 1)
        #expect(scene.core.counters.refreshes == 1)
    }

    @Test("two waiters, one refresh: a second client joins the first's refresh and both are answered when it ends")
    func twoWaitersOneRefresh() {
        var scene = Scene(accounts: [DaemonCoreTests.account("A", expiry: Self.start + 3 * Self.hour)], active: "A")
        scene.handle(Self.ask(1, nil, .ifExpiringWithin(.milliseconds(4 * Self.hour))))
        scene.now.wallMs += 100
        scene.now.monotonicMs += 100
        scene.handle(Self.ask(2, "A", .ifExpiringWithin(.milliseconds(4 * Self.hour))))
        #expect(scene.count(DaemonCoreTests.isRefresh) == 1, "never a second concurrent refresh")
        let before = scene.performed.count
        scene.finishRefresh()
        let replies = Self.replies(Array(scene.performed[before...]))
        #expect(Set(replies.keys) == [1, 2])
        #expect(replies.values.allSatisfy { if case .done(_, true, _)? = ControlRefreshReply(json: $0) { true } else { false } })
        #expect(scene.count(DaemonCoreTests.isRefresh) == 1, "the new token satisfies both: no further refresh")
    }

    @Test("join in flight: a client asking while the daemon's own refresh runs waits for it; one it does not satisfy gets its own next")
    func joinInFlight() throws {
        var scene = Scene(accounts: [DaemonCoreTests.account("A", expiry: Self.start + 20 * 60_000)], active: "A")
        let own = try #require(scene.refreshInFlight, "A is inside the lead: the daemon refreshes it at once")
        scene.handle(Self.ask(3, "A", .ifExpiringWithin(.milliseconds(10 * Self.hour))))
        #expect(scene.count(DaemonCoreTests.isRefresh) == 1, "joined, not started")
        // The daemon's refresh finds the token fresh by its own lead: not enough for this client.
        scene.refreshInFlight = nil
        let outcome = RefreshOutcome.alreadyFresh(accountID: "A", expiresAtMs: Self.start + 20 * 60_000)
        let actions = scene.handle(.finished(.refreshed(accountID: own.accountID, .success((outcome, scene.files)))))
        #expect(Self.replies(actions).isEmpty, "still waiting")
        #expect(scene.refreshInFlight?.policy == .ifExpiringWithin(.milliseconds(10 * Self.hour)), "its own refresh, after the first ended")
        let before = scene.performed.count
        scene.finishRefresh(expiresInMs: 11 * Self.hour)
        let reply = try #require(Self.replies(Array(scene.performed[before...]))[3])
        #expect(ControlRefreshReply(json: reply) == .done(accountID: "A", refreshed: true, expiryMs: scene.now.wallMs + 11 * Self.hour))
    }

    @Test("failure reply: a server error reaches every waiter; a refused login says login required")
    func failureReplies() throws {
        var scene = Scene(accounts: [DaemonCoreTests.account("A", expiry: Self.start + 3 * Self.hour)], active: "A")
        scene.handle(Self.ask(1, nil, .forced(whileExpiryIs: nil)))
        scene.handle(Self.ask(2, nil, .forced(whileExpiryIs: nil)))
        #expect(scene.refreshInFlight?.policy == .unlessRotatedSince(refreshToken: "rt-A"))
        var before = scene.performed.count
        scene.failRefresh()
        let failed = Self.replies(Array(scene.performed[before...]))
        #expect(Set(failed.keys) == [1, 2])
        #expect(ControlRefreshReply(json: try #require(failed[1])) == .failed(accountID: "A", message: "the server answered 500"))
        #expect(scene.core.schedule.retryAtMs["A"] == nil, "A is not due: the client's failed refresh is not retried by the daemon")

        scene.handle(Self.ask(3, "A", .forced(whileExpiryIs: nil)))
        let refusal = Refusal(
            summary: "HTTP 400 invalid_grant", evidence: nil, configuration: RefreshConfiguration(tokenURL: "http://127.0.0.1/token", clientID: "c"),
            clientID: "c", sameForEveryAccount: false)
        scene.refreshInFlight = nil
        before = scene.performed.count
        let outcome = RefreshOutcome.invalidated(accountID: "A", reason: refusal, switchedTo: nil)
        scene.handle(.finished(.refreshed(accountID: "A", .success((outcome, scene.files)))))
        let refused = try #require(Self.replies(Array(scene.performed[before...]))[3])
        guard case .loginRequired("A", let message)? = ControlRefreshReply(json: refused) else {
            Issue.record("not login required: \(refused)")
            return
        }
        #expect(message.contains("invalid_grant"))
    }

    @Test("unknown account and no files read: declined, so the client refreshes under the locks")
    func unknownAccount() throws {
        var scene = Scene(accounts: [DaemonCoreTests.account("A", expiry: Self.start + 3 * Self.hour)], active: "A")
        let reply = try #require(Self.replies(scene.handle(Self.ask(1, "nobody", .ifExpiringWithin(.milliseconds(1)))))[1])
        #expect(ControlReply.isDeclined(reply))
        #expect(ControlRefreshReply(json: reply) == nil)
        #expect(scene.count(DaemonCoreTests.isRefresh) == 0)
    }

    @Test("expiry guard: a token replaced since the client used it is not refreshed again; the one it used is")
    func expiryGuard() throws {
        let expiry = Self.start + 3 * Self.hour
        var scene = Scene(accounts: [DaemonCoreTests.account("A", expiry: expiry)], active: "A")
        let stale = scene.handle(Self.ask(1, "A", .forced(whileExpiryIs: expiry - 6 * Self.hour)))
        #expect(ControlRefreshReply(json: try #require(Self.replies(stale)[1])) == .done(accountID: "A", refreshed: false, expiryMs: expiry))
        scene.handle(Self.ask(2, "A", .forced(whileExpiryIs: expiry)))
        #expect(scene.refreshInFlight?.policy == .unlessRotatedSince(refreshToken: "rt-A"), "judged again under the locks")
    }

    @Test("sleeping: a request is refused with 'preparing to sleep'; a queued one too; the one in flight is still answered")
    func sleeping() throws {
        let accounts = [DaemonCoreTests.account("A", expiry: Self.start + 3 * Self.hour), DaemonCoreTests.account("B", expiry: Self.start + 3 * Self.hour)]
        var scene = Scene(accounts: accounts, active: "A")
        scene.handle(Self.ask(1, "A", .ifExpiringWithin(.milliseconds(4 * Self.hour))))
        scene.handle(Self.ask(2, "B", .ifExpiringWithin(.milliseconds(4 * Self.hour))))
        #expect(scene.refreshInFlight?.accountID == "A")
        let suspending = Self.replies(scene.handle(.suspending))
        #expect(Set(suspending.keys) == [2], "B's waiter is queued, not in flight: declined")
        #expect(ControlReply.errorMessage(of: try #require(suspending[2]))?.contains("preparing to sleep") == true)
        let asleep = try #require(Self.replies(scene.handle(Self.ask(3, "A", .ifExpiringWithin(.milliseconds(4 * Self.hour)))))[3])
        #expect(ControlReply.isDeclined(asleep) && ControlReply.errorMessage(of: asleep) == DaemonCore.preparingToSleep)
        let before = scene.performed.count
        scene.finishRefresh()
        #expect(Set(Self.replies(Array(scene.performed[before...])).keys) == [1], "the refresh in flight finished and answered its waiter")
        #expect(scene.refreshInFlight == nil, "nothing new starts before the resume")
    }
}
