import CSystemd
import Glibc
import QwenSyncCore

/// The daemon's side of the systemd service protocol: `sd_notify`, the watchdog and socket
/// activation.
///
/// Every notification is a no-op returning `false` when `NOTIFY_SOCKET` is unset (not run by
/// systemd, or not `Type=notify`), so the daemon can call it unconditionally. A send that fails
/// throws ``SystemdError``. libsystemd is loaded only when one of the variables systemd sets
/// (`NOTIFY_SOCKET`, `WATCHDOG_USEC`, `LISTEN_FDS`) asks for it: a daemon started by hand
/// never maps it and its six dependencies.
///
/// ```swift
/// let notifier = SystemdNotifier()
/// try notifier.ready(status: "watching 2 accounts")
/// if let interval = notifier.watchdogInterval() { /* every interval: */ try notifier.watchdogPing() }
/// try notifier.stopping()
/// ```
public struct SystemdNotifier: Sendable {
    /// Creates a notifier; it reads the environment at each call.
    public init() {}

    /// Whether systemd listens for notifications (`NOTIFY_SOCKET` is set).
    public var isEnabled: Bool {
        getenv("NOTIFY_SOCKET") != nil
    }

    /// Tells systemd that start-up (or a reload) finished: `READY=1`, plus `STATUS=` when given.
    ///
    /// - Parameter status: A one-line status for `systemctl status`.
    /// - Returns: Whether a notification was sent.
    @discardableResult
    public func ready(status: String? = nil) throws(SystemdError) -> Bool {
        try notify(["READY=1"] + statusLine(status))
    }

    /// Updates the one-line status shown by `systemctl status`: `STATUS=…`.
    ///
    /// - Returns: Whether a notification was sent.
    @discardableResult
    public func status(_ text: String) throws(SystemdError) -> Bool {
        try notify(statusLine(text))
    }

    /// Tells systemd that a reload began: `RELOADING=1` and `MONOTONIC_USEC=` (systemd 253 and
    /// later require the timestamp). Send ``ready(status:)`` when the reload is done.
    ///
    /// - Returns: Whether a notification was sent.
    @discardableResult
    public func reloading() throws(SystemdError) -> Bool {
        try notify(["RELOADING=1", "MONOTONIC_USEC=\(WallClock.monotonicUs())"])
    }

    /// Tells systemd that the daemon is shutting down: `STOPPING=1`.
    ///
    /// - Returns: Whether a notification was sent.
    @discardableResult
    public func stopping() throws(SystemdError) -> Bool {
        try notify(["STOPPING=1"])
    }

    /// Feeds the service watchdog: `WATCHDOG=1`.
    ///
    /// - Returns: Whether a notification was sent.
    @discardableResult
    public func watchdogPing() throws(SystemdError) -> Bool {
        try notify(["WATCHDOG=1"])
    }

    /// How often to call ``watchdogPing()``: half of `WatchdogSec=`, or `nil` when the watchdog
    /// is off for this process (including a malformed `WATCHDOG_USEC`).
    public func watchdogInterval() -> Duration? {
        var timeout: UInt64 = 0
        guard getenv("WATCHDOG_USEC") != nil, let systemd = try? LibSystemd.shared.get(), systemd.watchdogEnabled(0, &timeout) > 0, timeout > 0 else {
            return nil
        }
        return .microseconds(timeout / 2)
    }

    /// Takes the descriptors systemd passed by socket activation (`LISTEN_FDS`), starting at 3.
    ///
    /// The activation variables are unset afterwards, so only the first call returns them and
    /// child processes do not inherit them. Check each with ``isUnixStreamListener(_:)``.
    ///
    /// - Returns: The descriptors, empty when the process was not socket-activated.
    public func listenFDs() throws(SystemdError) -> [Int32] {
        guard getenv("LISTEN_FDS") != nil, let systemd = try? LibSystemd.shared.get() else { return [] }
        let count = systemd.listenFDs(1)
        guard count >= 0 else { throw SystemdError(operation: "sd_listen_fds", result: count) }
        return (0..<count).map { SD_LISTEN_FDS_START + $0 }
    }

    /// Whether `fileDescriptor` is a listening `AF_UNIX` stream socket, as a control socket must be.
    public static func isUnixStreamListener(_ fileDescriptor: Int32) -> Bool {
        guard let systemd = try? LibSystemd.shared.get() else { return false }
        return systemd.isSocketUnix(fileDescriptor, Int32(SOCK_STREAM.rawValue), 1, nil, 0) > 0
    }

    /// Sends the given `NAME=value` assignments as one datagram.
    private func notify(_ assignments: [String]) throws(SystemdError) -> Bool {
        guard isEnabled else { return false }
        guard let systemd = try? LibSystemd.shared.get() else { throw SystemdError(operation: "sd_notify", result: -ELIBACC) }
        let result = systemd.notify(0, assignments.joined(separator: "\n"))
        guard result >= 0 else { throw SystemdError(operation: "sd_notify", result: result) }
        return result > 0
    }

    /// `STATUS=` with line breaks flattened (a newline would start a new assignment).
    private func statusLine(_ text: String?) -> [String] {
        guard let text else { return [] }
        let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return ["STATUS=\(flat)"]
    }
}
