import CSystemd
import Glibc
import QwenSyncCore

/// The libsystemd functions qwen-sync uses, loaded from `libsystemd.so.0` on first use.
///
/// Only the daemon talks to systemd; loading libsystemd (and its six dependencies) at every
/// start of every command cost about 0.5 ms. libsystemd0 is part of every Debian system
/// (apt depends on it); when it is missing anyway, the calls behave as outside systemd.
struct LibSystemd: @unchecked Sendable {
    let notify: @convention(c) (Int32, UnsafePointer<CChar>?) -> Int32
    let watchdogEnabled: @convention(c) (Int32, UnsafeMutablePointer<UInt64>?) -> Int32
    let listenFDs: @convention(c) (Int32) -> Int32
    let isSocketUnix: @convention(c) (Int32, Int32, Int32, UnsafePointer<CChar>?, Int) -> Int32
    let journalSendvWithLocation: @convention(c) (UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<iovec>?, Int32) -> Int32

    /// The library, loaded by the first caller; the same result after.
    static let shared: Result<LibSystemd, SharedLibraryError> = Result { () throws(SharedLibraryError) in try LibSystemd() }

    private init() throws(SharedLibraryError) {
        let library = try SharedLibrary(soname: "libsystemd.so.0", debianPackage: "libsystemd0")
        notify = try library.function("sd_notify", as: (@convention(c) (Int32, UnsafePointer<CChar>?) -> Int32).self)
        watchdogEnabled = try library.function(
            "sd_watchdog_enabled", as: (@convention(c) (Int32, UnsafeMutablePointer<UInt64>?) -> Int32).self)
        listenFDs = try library.function("sd_listen_fds", as: (@convention(c) (Int32) -> Int32).self)
        isSocketUnix = try library.function(
            "sd_is_socket_unix", as: (@convention(c) (Int32, Int32, Int32, UnsafePointer<CChar>?, Int) -> Int32).self)
        journalSendvWithLocation = try library.function(
            "sd_journal_sendv_with_location",
            as: (@convention(c) (UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<iovec>?, Int32) -> Int32)
                .self)
    }
}
