import Glibc
import QwenSyncCore

/// libsystemd's journal-reading functions, loaded from `libsystemd.so.0` on first use (only
/// `qwen-sync logs` reads the journal). Names follow the C functions without `sd_journal_`.
struct LibSystemdJournal: @unchecked Sendable {
    typealias Journal = OpaquePointer
    let open: @convention(c) (UnsafeMutablePointer<Journal?>?, Int32) -> Int32
    let close: @convention(c) (Journal?) -> Void
    let hasRuntimeFiles: @convention(c) (Journal?) -> Int32
    let hasPersistentFiles: @convention(c) (Journal?) -> Int32
    let addMatch: @convention(c) (Journal?, UnsafeRawPointer?, Int) -> Int32
    let seekTail: @convention(c) (Journal?) -> Int32
    let seekCursor: @convention(c) (Journal?, UnsafePointer<CChar>?) -> Int32
    let testCursor: @convention(c) (Journal?, UnsafePointer<CChar>?) -> Int32
    let next: @convention(c) (Journal?) -> Int32
    let previous: @convention(c) (Journal?) -> Int32
    let wait: @convention(c) (Journal?, UInt64) -> Int32
    let getRealtimeUsec: @convention(c) (Journal?, UnsafeMutablePointer<UInt64>?) -> Int32
    let getCursor: @convention(c) (Journal?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32
    let restartData: @convention(c) (Journal?) -> Void
    let enumerateData: @convention(c) (Journal?, UnsafeMutablePointer<UnsafeRawPointer?>?, UnsafeMutablePointer<Int>?) -> Int32

    /// The functions, loaded by the first caller; the same result after.
    static let shared: Result<LibSystemdJournal, SharedLibraryError> = Result { () throws(SharedLibraryError) in
        try LibSystemdJournal()
    }

    private init() throws(SharedLibraryError) {
        let library = try SharedLibrary(soname: "libsystemd.so.0", debianPackage: "libsystemd0")
        open = try library.function("sd_journal_open", as: (@convention(c) (UnsafeMutablePointer<Journal?>?, Int32) -> Int32).self)
        close = try library.function("sd_journal_close", as: (@convention(c) (Journal?) -> Void).self)
        hasRuntimeFiles = try library.function("sd_journal_has_runtime_files", as: (@convention(c) (Journal?) -> Int32).self)
        hasPersistentFiles = try library.function("sd_journal_has_persistent_files", as: (@convention(c) (Journal?) -> Int32).self)
        addMatch = try library.function("sd_journal_add_match", as: (@convention(c) (Journal?, UnsafeRawPointer?, Int) -> Int32).self)
        seekTail = try library.function("sd_journal_seek_tail", as: (@convention(c) (Journal?) -> Int32).self)
        seekCursor = try library.function("sd_journal_seek_cursor", as: (@convention(c) (Journal?, UnsafePointer<CChar>?) -> Int32).self)
        testCursor = try library.function("sd_journal_test_cursor", as: (@convention(c) (Journal?, UnsafePointer<CChar>?) -> Int32).self)
        next = try library.function("sd_journal_next", as: (@convention(c) (Journal?) -> Int32).self)
        previous = try library.function("sd_journal_previous", as: (@convention(c) (Journal?) -> Int32).self)
        wait = try library.function("sd_journal_wait", as: (@convention(c) (Journal?, UInt64) -> Int32).self)
        getRealtimeUsec = try library.function(
            "sd_journal_get_realtime_usec", as: (@convention(c) (Journal?, UnsafeMutablePointer<UInt64>?) -> Int32).self)
        getCursor = try library.function(
            "sd_journal_get_cursor", as: (@convention(c) (Journal?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32).self)
        restartData = try library.function("sd_journal_restart_data", as: (@convention(c) (Journal?) -> Void).self)
        enumerateData = try library.function(
            "sd_journal_enumerate_data",
            as: (@convention(c) (Journal?, UnsafeMutablePointer<UnsafeRawPointer?>?, UnsafeMutablePointer<Int>?) -> Int32).self)
    }
}
