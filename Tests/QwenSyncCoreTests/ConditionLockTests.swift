import QwenSyncCore
import Testing

@Suite("ConditionLock and PosixThread")
struct ConditionLockTests {
    /// State shared between the test and the thread it spawns, guarded by `lock`.
    private final class Shared: @unchecked Sendable {
        let lock = ConditionLock()
        var ready = false
        var finished = false
    }

    @Test("a timed wait returns false once its monotonic deadline has passed, not before")
    func timedWaitTimesOut() {
        let lock = ConditionLock()
        let start = WallClock.monotonicMs()
        let woken = lock.withLock { lock.wait(untilMonotonicMs: start + 50) }
        #expect(!woken)
        #expect(WallClock.monotonicMs() >= start + 50)
    }

    @Test("signal wakes a thread waiting far from its deadline; join waits for the thread's end")
    func signalWakesWaiter() throws {
        let shared = Shared()
        let waiter = try #require(
            PosixThread.spawn {
                shared.lock.withLock {
                    while !shared.ready {
                        shared.lock.wait(untilMonotonicMs: WallClock.monotonicMs() + 60_000)
                    }
                }
                shared.lock.withLock { shared.finished = true }
            })
        let start = WallClock.monotonicMs()
        shared.lock.withLock {
            shared.ready = true
            shared.lock.signal()
        }
        waiter.join()
        #expect(shared.lock.withLock { shared.finished })
        #expect(WallClock.monotonicMs() - start < 10_000, "the waiter slept towards its deadline instead of waking")
    }
}
