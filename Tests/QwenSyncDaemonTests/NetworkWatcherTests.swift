import Glibc
import QwenSyncCore
import QwenSyncDaemon
import QwenSyncTestSupport
import Testing

/// ``NetworkWatcher`` in a network namespace of its own: a real veth link whose address and
/// routes come and go through `ip`, real rtnetlink messages.
@Suite struct NetworkWatcherTests {
    /// Waits (without holding a test-runner thread) until `descriptor` is readable.
    private func readable(_ descriptor: Int32, timeoutMs: Int64 = 10_000) async -> Bool {
        let deadline = WallClock.monotonicMs() + timeoutMs
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        while WallClock.monotonicMs() < deadline {
            if poll(&entry, 1, 0) > 0 { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return false
    }

    @Test("a new address or route is announced once per burst; removals are not; nothing pending is quiet")
    func linkComesAndGoes() async throws {
        if let why = NetworkNamespace.unavailableReason {
            print("skipped: \(why)")
            try Test.cancel("skipped: \(why)")
        }
        let namespace = try await NetworkNamespace()
        // IPv4 only: IPv6 sets a veth up when its carrier arrives (later, from the kernel's
        // link watch), and those late announcements would land whenever this test looks.
        try await namespace.disableIPv6()
        try await namespace.ip(["link", "add", "d0", "type", "veth", "peer", "name", "d1"])
        try await namespace.ip(["link", "set", "d1", "up"])
        let watcher = try namespace.inside { try NetworkWatcher() }
        var entry = pollfd(fd: watcher.descriptor, events: Int16(POLLIN), revents: 0)
        #expect(poll(&entry, 1, 0) == 0, "readable with nothing changed")
        #expect(watcher.drain() == false)

        try await namespace.ip(["address", "add", "10.99.0.1/24", "dev", "d0"])
        try await namespace.ip(["link", "set", "d0", "up"])
        #expect(await readable(watcher.descriptor))
        #expect(watcher.drain() == true, "a new address and the link's routes are a return")
        #expect(poll(&entry, 1, 0) == 0, "one drain takes the whole burst")

        try await namespace.ip(["address", "del", "10.99.0.1/24", "dev", "d0"])
        #expect(await readable(watcher.descriptor), "the kernel announces the removal")
        #expect(watcher.drain() == false, "an address going away is not a return")

        try await namespace.ip(["address", "add", "10.99.0.1/24", "dev", "d0"])
        #expect(await readable(watcher.descriptor))
        #expect(watcher.drain() == true, "the address coming back is a return")

        // IPv4 announces no route removals when a link goes down; its routes' return, when it
        // comes up again, is announced.
        try await namespace.ip(["link", "set", "d0", "down"])
        try await namespace.ip(["link", "set", "d0", "up"])
        #expect(await readable(watcher.descriptor))
        #expect(watcher.drain() == true, "the link coming back brings its routes back")
    }
}
