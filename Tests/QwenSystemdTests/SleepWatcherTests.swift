import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import QwenSystemd
import Testing

/// ``SleepWatcher`` against a private bus with a logind stand-in: real dbus-daemon, real
/// sd-bus, real descriptors passed over the bus.
@Suite struct SleepWatcherTests {
    /// Skips (printing why) when the stand-in cannot run here.
    private func requireStandIn() async throws {
        if let why = await FakeLogind.unavailableReason {
            print("skipped: \(why)")
            try Test.cancel("skipped: \(why)")
        }
    }

    /// Waits until the watcher's descriptor is readable and returns what it drained.
    private func nextEvents(_ watcher: SleepWatcher) async throws -> [SleepEvent] {
        let deadline = WallClock.monotonicMs() + 30_000
        while WallClock.monotonicMs() < deadline {
            var descriptor = pollfd(fd: watcher.descriptor, events: watcher.pollEvents, revents: 0)
            if poll(&descriptor, 1, 0) > 0 {
                let events = try watcher.drain()
                if !events.isEmpty { return events }
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        return []
    }

    @Test(
        "takes a delay inhibitor at start, reports PrepareForSleep(true), lets the sleep go on when released, reports the resume and takes the inhibitor again")
    func sleepAndResume() async throws {
        try await requireStandIn()
        let logind = try await FakeLogind.start()
        let watcher = try SleepWatcher(busAddress: logind.address)
        #expect(watcher.holdsInhibitor)
        try await logind.waitForInhibitors(1)

        async let slept = logind.sleep()
        #expect(try await nextEvents(watcher) == [.preparingForSleep])
        watcher.releaseInhibitor()
        #expect(try await slept, "the sleep waited out logind's delay instead of the release")
        try await logind.waitForInhibitors(0)

        try await logind.wake()
        #expect(try await nextEvents(watcher) == [.resumed])
        try watcher.takeInhibitor()
        try await logind.waitForInhibitors(1)
    }

    @Test("a bus without logind: no watcher, a clear error, nothing crashes")
    func busWithoutLogind() async throws {
        try await requireStandIn()
        let bus = try await FakeLogind.start(withService: false)
        #expect(throws: SystemdError.self) { try SleepWatcher(busAddress: bus.address) }
    }

    @Test("no bus at all: no watcher, a clear error")
    func noBus() throws {
        let error = #expect(throws: SystemdError.self) { try SleepWatcher(busAddress: "unix:path=/nonexistent/qwen-sync-test-bus") }
        #expect(error?.description.contains("system bus") == true)
    }
}
