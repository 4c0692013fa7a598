import CQREncode
import QwenSyncCore

/// The libqrencode functions ``QRMatrix`` uses, loaded from `libqrencode.so.4` on first use.
struct LibQREncode: @unchecked Sendable {
    let encodeString: @convention(c) (UnsafePointer<CChar>?, Int32, QRecLevel, QRencodeMode, Int32) -> UnsafeMutablePointer<QRcode>?
    let free: @convention(c) (UnsafeMutablePointer<QRcode>?) -> Void

    /// The library, loaded by the first caller; the same result after.
    static let shared: Result<LibQREncode, SharedLibraryError> = Result { () throws(SharedLibraryError) in try LibQREncode() }

    private init() throws(SharedLibraryError) {
        let library = try SharedLibrary(soname: "libqrencode.so.4", debianPackage: "libqrencode4")
        encodeString = try library.function(
            "QRcode_encodeString",
            as: (@convention(c) (UnsafePointer<CChar>?, Int32, QRecLevel, QRencodeMode, Int32) -> UnsafeMutablePointer<QRcode>?).self
        )
        free = try library.function("QRcode_free", as: (@convention(c) (UnsafeMutablePointer<QRcode>?) -> Void).self)
    }
}
