import QwenSyncCore

/// Renders a QR code as terminal text.
///
/// The Unicode style draws light modules and leaves dark ones blank, so the code reads on
/// the usual dark-background terminal, as `qrencode -t UTF8` prints it. The ASCII fallback
/// draws dark modules as `##`, as `qrencode -t ASCII` does.
public enum TerminalQRCode {
    /// How modules become characters.
    public enum Style: Sendable {
        /// Unicode half blocks: one character per module column, two module rows per line.
        case unicode
        /// Plain ASCII: two characters (`##` or spaces) per module, one line per module row.
        case ascii
    }

    /// Renders `text` as a QR code.
    ///
    /// - Parameters:
    ///   - text: what the code encodes (the verification URL).
    ///   - style: Unicode half blocks, or the ASCII fallback.
    ///   - quietZone: light modules around the symbol on each side.
    /// - Returns: lines joined by `\n` without a trailing newline, or `nil` when the text
    ///   cannot be encoded.
    /// - Throws: ``SharedLibraryError`` when libqrencode is not installed.
    public static func render(_ text: String, style: Style = .unicode, quietZone: Int = 2) throws(SharedLibraryError) -> String? {
        guard let matrix = try QRMatrix(encoding: text) else { return nil }
        return render(matrix, style: style, quietZone: quietZone)
    }

    /// Renders `matrix` with a quiet zone of `quietZone` modules.
    public static func render(_ matrix: QRMatrix, style: Style = .unicode, quietZone: Int = 2) -> String {
        let range = -quietZone..<(matrix.width + quietZone)
        var lines: [String] = []
        switch style {
        case .unicode:
            for top in stride(from: range.lowerBound, to: range.upperBound, by: 2) {
                var line = ""
                for x in range {
                    let upperLight = !matrix.isDark(x: x, y: top)
                    let lowerLight = top + 1 < range.upperBound ? !matrix.isDark(x: x, y: top + 1) : false
                    switch (upperLight, lowerLight) {
                    case (true, true): line += "█"
                    case (true, false): line += "▀"
                    case (false, true): line += "▄"
                    case (false, false): line += " "
                    }
                }
                lines.append(line)
            }
        case .ascii:
            for y in range {
                lines.append(range.map { matrix.isDark(x: $0, y: y) ? "##" : "  " }.joined())
            }
        }
        return lines.joined(separator: "\n")
    }
}
