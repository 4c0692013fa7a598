import CCurl
import QwenSyncCore

/// The libcurl functions ``HTTPClient`` uses, loaded from `libcurl.so.4` on first use.
///
/// `curl_easy_setopt` and `curl_easy_getinfo` are variadic: they are kept as raw addresses
/// and called through the typed wrappers in the `CCurl` shim.
struct LibCurl: @unchecked Sendable {
    let easyInit: @convention(c) () -> UnsafeMutableRawPointer?
    let easyCleanup: @convention(c) (UnsafeMutableRawPointer?) -> Void
    let easyPerform: @convention(c) (UnsafeMutableRawPointer?) -> CURLcode
    let easyStrerror: @convention(c) (CURLcode) -> UnsafePointer<CChar>?
    let slistAppend: @convention(c) (UnsafeMutablePointer<curl_slist>?, UnsafePointer<CChar>?) -> UnsafeMutablePointer<curl_slist>?
    let slistFreeAll: @convention(c) (UnsafeMutablePointer<curl_slist>?) -> Void
    /// `curl_easy_setopt`, for the `qs_curl_setopt_*` wrappers.
    let easySetopt: UnsafeMutableRawPointer
    /// `curl_easy_getinfo`, for the `qs_curl_getinfo_*` wrappers.
    let easyGetinfo: UnsafeMutableRawPointer

    /// The library, loaded and globally initialised by the first caller; the same result after.
    static let shared: Result<LibCurl, SharedLibraryError> = Result { () throws(SharedLibraryError) in try LibCurl() }

    private init() throws(SharedLibraryError) {
        let library = try SharedLibrary(soname: "libcurl.so.4", debianPackage: "libcurl4")
        let globalInit = try library.function("curl_global_init", as: (@convention(c) (Int) -> CURLcode).self)
        easyInit = try library.function("curl_easy_init", as: (@convention(c) () -> UnsafeMutableRawPointer?).self)
        easyCleanup = try library.function("curl_easy_cleanup", as: (@convention(c) (UnsafeMutableRawPointer?) -> Void).self)
        easyPerform = try library.function("curl_easy_perform", as: (@convention(c) (UnsafeMutableRawPointer?) -> CURLcode).self)
        easyStrerror = try library.function("curl_easy_strerror", as: (@convention(c) (CURLcode) -> UnsafePointer<CChar>?).self)
        slistAppend = try library.function(
            "curl_slist_append",
            as: (@convention(c) (UnsafeMutablePointer<curl_slist>?, UnsafePointer<CChar>?) -> UnsafeMutablePointer<curl_slist>?).self
        )
        slistFreeAll = try library.function("curl_slist_free_all", as: (@convention(c) (UnsafeMutablePointer<curl_slist>?) -> Void).self)
        easySetopt = try library.address(of: "curl_easy_setopt")
        easyGetinfo = try library.address(of: "curl_easy_getinfo")
        let initialised = globalInit(Int(QS_CURL_GLOBAL_DEFAULT))
        guard initialised == CURLE_OK else {
            throw SharedLibraryError(soname: library.soname, debianPackage: library.debianPackage, reason: "curl_global_init failed")
        }
    }

    /// libcurl's fixed text for `code` (never contains the URL).
    func text(of code: CURLcode) -> String { easyStrerror(code).map { String(cString: $0) } ?? "error \(code.rawValue)" }
}
