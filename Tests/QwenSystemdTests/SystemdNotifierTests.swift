import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

@testable import QwenSystemd

/// The notifier reads `NOTIFY_SOCKET`, `WATCHDOG_*` and `LISTEN_*` from the environment, which
/// is process-wide: every test that sets them runs its body in a child process (an exit test),
/// so the tests running beside it in parallel, and the processes they spawn, never see them.
@Suite("SystemdNotifier")
struct SystemdNotifierTests {
    @Test("ready sends READY=1 and STATUS in one datagram")
    func ready() async {
        await #expect(processExitsWith: .success) {
            let notifier = SystemdNotifier()
            let receiver = try NotifyReceiver()
            try withEnvironment(["NOTIFY_SOCKET": receiver.path]) { () throws in
                #expect(notifier.isEnabled)
                #expect(try notifier.ready(status: "watching 2 accounts"))
                #expect(receiver.receive() == "READY=1\nSTATUS=watching 2 accounts")
                #expect(try notifier.ready())
                #expect(receiver.receive() == "READY=1")
            }
        }
    }

    @Test("status flattens line breaks")
    func status() async {
        await #expect(processExitsWith: .success) {
            let notifier = SystemdNotifier()
            let receiver = try NotifyReceiver()
            try withEnvironment(["NOTIFY_SOCKET": receiver.path]) { () throws in
                #expect(try notifier.status("refreshing\nacct_x"))
                #expect(receiver.receive() == "STATUS=refreshing acct_x")
            }
        }
    }

    @Test("watchdogPing and stopping send their single assignment")
    func watchdogAndStopping() async {
        await #expect(processExitsWith: .success) {
            let notifier = SystemdNotifier()
            let receiver = try NotifyReceiver()
            try withEnvironment(["NOTIFY_SOCKET": receiver.path]) { () throws in
                #expect(try notifier.watchdogPing())
                #expect(receiver.receive() == "WATCHDOG=1")
                #expect(try notifier.stopping())
                #expect(receiver.receive() == "STOPPING=1")
            }
        }
    }

    @Test("reloading sends RELOADING=1 with the current CLOCK_MONOTONIC in microseconds")
    func reloading() async {
        await #expect(processExitsWith: .success) {
            let notifier = SystemdNotifier()
            let receiver = try NotifyReceiver()
            try withEnvironment(["NOTIFY_SOCKET": receiver.path]) { () throws in
                let before = WallClock.monotonicUs()
                #expect(try notifier.reloading())
                let after = WallClock.monotonicUs()
                let datagram = try #require(receiver.receive())
                let lines = datagram.split(separator: "\n")
                try #require(lines.count == 2)
                #expect(lines[0] == "RELOADING=1")
                #expect(lines[1].hasPrefix("MONOTONIC_USEC="))
                let stamp = try #require(UInt64(lines[1].dropFirst("MONOTONIC_USEC=".count)))
                #expect((before...after).contains(stamp))
            }
        }
    }

    @Test("without NOTIFY_SOCKET nothing is sent and calls return false")
    func disabled() async {
        await #expect(processExitsWith: .success) {
            let notifier = SystemdNotifier()
            try withEnvironment(["NOTIFY_SOCKET": nil]) { () throws in
                #expect(!notifier.isEnabled)
                #expect(try !notifier.ready(status: "x"))
                #expect(try !notifier.watchdogPing())
            }
        }
    }

    @Test("a NOTIFY_SOCKET nobody listens on throws SystemdError")
    func unreachable() async {
        await #expect(processExitsWith: .success) {
            let notifier = SystemdNotifier()
            try withEnvironment(["NOTIFY_SOCKET": "/nonexistent/qwen-sync/notify.sock"]) { () throws in
                #expect(throws: SystemdError(operation: "sd_notify", result: -ENOENT)) {
                    try notifier.ready()
                }
            }
        }
    }

    @Test("watchdogInterval is half of WATCHDOG_USEC, nil when off or not ours")
    func watchdogInterval() async {
        await #expect(processExitsWith: .success) {
            let notifier = SystemdNotifier()
            withEnvironment(["WATCHDOG_USEC": "60000000", "WATCHDOG_PID": nil]) {
                #expect(notifier.watchdogInterval() == .seconds(30))
            }
            withEnvironment(["WATCHDOG_USEC": "20000000", "WATCHDOG_PID": String(getpid())]) {
                #expect(notifier.watchdogInterval() == .seconds(10))
            }
            withEnvironment(["WATCHDOG_USEC": "20000000", "WATCHDOG_PID": String(getpid() + 1)]) {
                #expect(notifier.watchdogInterval() == nil)
            }
            withEnvironment(["WATCHDOG_USEC": "banana", "WATCHDOG_PID": nil]) {
                #expect(notifier.watchdogInterval() == nil)
            }
            withEnvironment(["WATCHDOG_USEC": nil, "WATCHDOG_PID": nil]) {
                #expect(notifier.watchdogInterval() == nil)
            }
        }
    }

    @Test("listenFDs is empty without socket activation, consumes LISTEN_*, rejects bad values")
    func listenFDs() async {
        await #expect(processExitsWith: .success) {
            let notifier = SystemdNotifier()
            try withEnvironment(["LISTEN_PID": nil, "LISTEN_FDS": nil]) { () throws in
                #expect(try notifier.listenFDs() == [])
            }
            try withEnvironment(["LISTEN_PID": String(getpid() + 1), "LISTEN_FDS": "1"]) { () throws in
                #expect(try notifier.listenFDs() == [])
                #expect(getenv("LISTEN_PID") == nil)
                #expect(getenv("LISTEN_FDS") == nil)
            }
            withEnvironment(["LISTEN_PID": String(getpid()), "LISTEN_FDS": "0"]) {
                #expect(throws: SystemdError(operation: "sd_listen_fds", result: -EINVAL)) {
                    try notifier.listenFDs()
                }
            }
        }
    }

    @Test("isUnixStreamListener accepts only a listening AF_UNIX stream socket")
    func unixStreamListener() throws {
        let stream = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        let datagram = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(stream); close(datagram) }
        #expect(!SystemdNotifier.isUnixStreamListener(stream))
        // Binding only the family autobinds an abstract address: nothing to clean up.
        var family = sa_family_t(AF_UNIX)
        let bound = withUnsafePointer(to: &family) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(stream, $0, socklen_t(MemoryLayout<sa_family_t>.size))
            }
        }
        try #require(bound == 0)
        try #require(listen(stream, 1) == 0)
        #expect(SystemdNotifier.isUnixStreamListener(stream))
        #expect(!SystemdNotifier.isUnixStreamListener(datagram))
        let devNull = open("/dev/null", O_RDONLY)
        defer { close(devNull) }
        #expect(!SystemdNotifier.isUnixStreamListener(devNull))
    }
}
