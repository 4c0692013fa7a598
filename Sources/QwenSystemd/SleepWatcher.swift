import CSystemd
import Glibc
import QwenSyncCore

/// What logind announced about a suspend (or hibernation).
public enum SleepEvent: Sendable, Equatable {
    /// `PrepareForSleep(true)`: the machine is about to sleep. The sleep waits for
    /// ``SleepWatcher/releaseInhibitor()`` (at most logind's `InhibitDelayMaxSec`, 5 s by default).
    case preparingForSleep
    /// `PrepareForSleep(false)`: the machine has woken up (or the sleep was cancelled).
    case resumed
}

/// logind's `PrepareForSleep` signal on the system bus as a pollable descriptor, with a
/// *delay* inhibitor so the daemon can put its work down before the machine sleeps.
///
/// The connection honours `DBUS_SYSTEM_BUS_ADDRESS`. At start the watcher subscribes to
/// `org.freedesktop.login1.Manager.PrepareForSleep` and takes the inhibitor
/// (`Inhibit("sleep", "qwen-sync", …, "delay")`, a descriptor whose closing lets the sleep
/// go on). The owner releases it once prepared (``releaseInhibitor()``) and takes it again
/// after resuming (``takeInhibitor()``). Everything runs on the owner's thread; the bus is
/// only read in ``drain()``.
///
/// ```swift
/// let watcher = try SleepWatcher()
/// // poll watcher.descriptor for watcher.pollEvents, then:
/// for event in watcher.drain() { … }
/// ```
public final class SleepWatcher {
    /// The bus connection's descriptor, to poll for ``pollEvents``.
    public let descriptor: Int32
    private let bus: OpaquePointer
    private let library: BusLibrary
    private var inhibitor: Int32 = -1
    private var received: [SleepEvent] = []

    /// Connects to the system bus, subscribes to `PrepareForSleep` and takes the delay inhibitor.
    ///
    /// - Parameter busAddress: the bus to use instead of the system bus (as
    ///   `DBUS_SYSTEM_BUS_ADDRESS` would name it), e.g. a test's private bus.
    /// - Throws: ``SystemdError`` when there is no system bus or no logind on it (containers,
    ///   minimal systems): then there is nothing to watch, and the caller carries on without.
    public init(busAddress: String? = nil) throws(SystemdError) {
        let library: BusLibrary
        switch BusLibrary.shared {
        case .success(let loaded): library = loaded
        case .failure: throw SystemdError(operation: "dlopen libsystemd.so.0 (sd-bus)", result: -ENOENT)
        }
        var connection: OpaquePointer?
        let opened: Int32
        if let busAddress {
            opened = library.open(&connection, busAddress)
        } else {
            opened = library.openSystem(&connection)
        }
        guard opened >= 0, let connection else { throw SystemdError(operation: "connecting to the system bus", result: opened) }
        self.library = library
        bus = connection
        descriptor = library.getFD(connection)
        let subscribed = library.matchSignal(
            connection, nil, "org.freedesktop.login1", "/org/freedesktop/login1", "org.freedesktop.login1.Manager", "PrepareForSleep",
            { message, userdata, _ in
                guard let message, let userdata else { return 0 }
                let watcher = Unmanaged<SleepWatcher>.fromOpaque(userdata).takeUnretainedValue()
                var sleeping: Int32 = 0
                guard watcher.library.readBasic(message, CChar(UInt8(ascii: "b")), &sleeping) > 0 else { return 0 }
                watcher.received.append(sleeping != 0 ? .preparingForSleep : .resumed)
                return 0
            }, Unmanaged.passUnretained(self).toOpaque())
        guard subscribed >= 0 else { throw SystemdError(operation: "sd_bus_match_signal PrepareForSleep", result: subscribed) }
        // Without logind the inhibitor cannot be had either: that is the "nothing to watch" case.
        try takeInhibitor()
    }

    deinit {
        releaseInhibitor()
        _ = library.flushCloseUnref(bus)
    }

    /// The `poll` events to wait for on ``descriptor`` (`POLLIN`, plus `POLLOUT` while
    /// outgoing messages are queued).
    public var pollEvents: Int16 {
        let events = library.getEvents(bus)
        return events > 0 ? Int16(events) : Int16(POLLIN)
    }

    /// Whether the delay inhibitor is held (the next sleep will wait for this process).
    public var holdsInhibitor: Bool { inhibitor >= 0 }

    /// Processes what arrived on the bus and returns the sleep announcements, oldest first.
    ///
    /// - Throws: ``SystemdError`` when the connection broke (the bus daemon went away).
    public func drain() throws(SystemdError) -> [SleepEvent] {
        while true {
            let result = library.process(bus, nil)
            if result < 0 { throw SystemdError(operation: "sd_bus_process", result: result) }
            if result == 0 { break }
        }
        defer { received = [] }
        return received
    }

    /// Takes the delay inhibitor if it is not held.
    ///
    /// - Throws: ``SystemdError`` when logind refuses it or does not answer within 2 s.
    public func takeInhibitor() throws(SystemdError) {
        guard inhibitor < 0 else { return }
        var message: OpaquePointer?
        let created = library.newMethodCall(
            bus, &message, "org.freedesktop.login1", "/org/freedesktop/login1", "org.freedesktop.login1.Manager", "Inhibit")
        guard created >= 0, let message else { throw SystemdError(operation: "sd_bus_message_new_method_call Inhibit", result: created) }
        defer { _ = library.messageUnref(message) }
        for argument in ["sleep", "qwen-sync", "put the credential files down before the machine sleeps", "delay"] {
            let appended = argument.withCString { library.appendBasic(message, CChar(UInt8(ascii: "s")), $0) }
            guard appended >= 0 else { throw SystemdError(operation: "sd_bus_message_append_basic", result: appended) }
        }
        var error = sd_bus_error(name: nil, message: nil, _need_free: 0)
        defer { library.errorFree(&error) }
        var reply: OpaquePointer?
        let called = library.call(bus, message, 2_000_000, &error, &reply)
        guard called >= 0, let reply else {
            let said = error.message.map { String(cString: $0) } ?? error.name.map { String(cString: $0) } ?? "no answer"
            throw SystemdError(operation: "logind Inhibit (\(said))", result: called < 0 ? called : -EIO)
        }
        defer { _ = library.messageUnref(reply) }
        var received: Int32 = -1
        let read = library.readBasic(reply, CChar(UInt8(ascii: "h")), &received)
        guard read > 0 else { throw SystemdError(operation: "logind Inhibit reply", result: read < 0 ? read : -EBADMSG) }
        // The reply owns its descriptor: keep a copy of our own.
        let copy = fcntl(received, F_DUPFD_CLOEXEC, 3)
        guard copy >= 0 else { throw SystemdError(operation: "fcntl(F_DUPFD_CLOEXEC) of the inhibitor", result: -errno) }
        inhibitor = copy
    }

    /// Closes the inhibitor: logind lets the sleep go on (once every delay inhibitor is gone).
    public func releaseInhibitor() {
        guard inhibitor >= 0 else { return }
        close(inhibitor)
        inhibitor = -1
    }
}

/// The sd-bus functions the ``SleepWatcher`` uses, loaded from `libsystemd.so.0` on first use.
private struct BusLibrary: @unchecked Sendable {
    typealias Handler = @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, UnsafeMutablePointer<sd_bus_error>?) -> Int32

    let openSystem: @convention(c) (UnsafeMutablePointer<OpaquePointer?>?) -> Int32
    let new: @convention(c) (UnsafeMutablePointer<OpaquePointer?>?) -> Int32
    let setAddress: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> Int32
    let setBusClient: @convention(c) (OpaquePointer?, Int32) -> Int32
    let start: @convention(c) (OpaquePointer?) -> Int32
    let getFD: @convention(c) (OpaquePointer?) -> Int32
    let getEvents: @convention(c) (OpaquePointer?) -> Int32
    let process: @convention(c) (OpaquePointer?, UnsafeMutablePointer<OpaquePointer?>?) -> Int32
    let flushCloseUnref: @convention(c) (OpaquePointer?) -> OpaquePointer?
    let matchSignal:
        @convention(c) (
            OpaquePointer?, UnsafeMutablePointer<OpaquePointer?>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?,
            UnsafePointer<CChar>?, Handler?, UnsafeMutableRawPointer?
        ) -> Int32
    let newMethodCall:
        @convention(c) (
            OpaquePointer?, UnsafeMutablePointer<OpaquePointer?>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?,
            UnsafePointer<CChar>?
        ) -> Int32
    let appendBasic: @convention(c) (OpaquePointer?, CChar, UnsafeRawPointer?) -> Int32
    let readBasic: @convention(c) (OpaquePointer?, CChar, UnsafeMutableRawPointer?) -> Int32
    let call: @convention(c) (OpaquePointer?, OpaquePointer?, UInt64, UnsafeMutablePointer<sd_bus_error>?, UnsafeMutablePointer<OpaquePointer?>?) -> Int32
    let messageUnref: @convention(c) (OpaquePointer?) -> OpaquePointer?
    let errorFree: @convention(c) (UnsafeMutablePointer<sd_bus_error>?) -> Void

    /// The functions, loaded by the first caller; the same result after.
    static let shared: Result<BusLibrary, SharedLibraryError> = Result { () throws(SharedLibraryError) in try BusLibrary() }

    /// A client connection to the bus at `address` (what `sd_bus_open_system` does for the
    /// system bus's address).
    func open(_ connection: inout OpaquePointer?, _ address: String) -> Int32 {
        var made: OpaquePointer?
        var result = new(&made)
        guard result >= 0, let made else { return result }
        result = setAddress(made, address)
        if result >= 0 { result = setBusClient(made, 1) }
        if result >= 0 { result = start(made) }
        guard result >= 0 else {
            _ = flushCloseUnref(made)
            return result
        }
        connection = made
        return result
    }

    private init() throws(SharedLibraryError) {
        let library = try SharedLibrary(soname: "libsystemd.so.0", debianPackage: "libsystemd0")
        openSystem = try library.function("sd_bus_open_system", as: type(of: openSystem))
        new = try library.function("sd_bus_new", as: type(of: new))
        setAddress = try library.function("sd_bus_set_address", as: type(of: setAddress))
        setBusClient = try library.function("sd_bus_set_bus_client", as: type(of: setBusClient))
        start = try library.function("sd_bus_start", as: type(of: start))
        getFD = try library.function("sd_bus_get_fd", as: type(of: getFD))
        getEvents = try library.function("sd_bus_get_events", as: type(of: getEvents))
        process = try library.function("sd_bus_process", as: type(of: process))
        flushCloseUnref = try library.function("sd_bus_flush_close_unref", as: type(of: flushCloseUnref))
        matchSignal = try library.function("sd_bus_match_signal", as: type(of: matchSignal))
        newMethodCall = try library.function("sd_bus_message_new_method_call", as: type(of: newMethodCall))
        appendBasic = try library.function("sd_bus_message_append_basic", as: type(of: appendBasic))
        readBasic = try library.function("sd_bus_message_read_basic", as: type(of: readBasic))
        call = try library.function("sd_bus_call", as: type(of: call))
        messageUnref = try library.function("sd_bus_message_unref", as: type(of: messageUnref))
        errorFree = try library.function("sd_bus_error_free", as: type(of: errorFree))
    }
}
