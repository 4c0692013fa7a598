import CQREncode
import QwenSyncCore

/// The modules of a QR code symbol, as libqrencode produced them.
public struct QRMatrix: Sendable, Equatable {
    /// Modules per side (without a quiet zone).
    public let width: Int
    /// The symbol version (1...40).
    public let version: Int
    private let dark: [Bool]

    /// Encodes `text` as UTF-8 bytes (8-bit mode), error correction level M.
    ///
    /// libqrencode is loaded on the first call (``LibQREncode``).
    ///
    /// - Returns: `nil` when libqrencode cannot encode it (too long, or an interior NUL).
    /// - Throws: ``SharedLibraryError`` when libqrencode is not installed.
    public init?(encoding text: String) throws(SharedLibraryError) {
        let library = try LibQREncode.shared.get()
        guard !text.utf8.contains(0),
            let code = library.encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1)
        else { return nil }
        defer { library.free(code) }
        let width = Int(code.pointee.width)
        version = Int(code.pointee.version)
        dark = (0..<width * width).map { code.pointee.data[$0] & 1 == 1 }
        self.width = width
    }

    /// Whether the module at column `x`, row `y` is dark; outside the symbol is light.
    public func isDark(x: Int, y: Int) -> Bool {
        guard x >= 0, y >= 0, x < width, y < width else { return false }
        return dark[y * width + x]
    }
}
