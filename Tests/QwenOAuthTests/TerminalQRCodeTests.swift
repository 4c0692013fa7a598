import QwenOAuth
import Testing

@Suite("Terminal QR code")
struct TerminalQRCodeTests {
    static let url = "https://chat.qwen.ai/authorize?user_code=ABCD-1234&client=qwen-code"

    @Test func matrixHasFinderPatternsInThreeCorners() throws {
        let matrix = try #require(try QRMatrix(encoding: Self.url))
        #expect(matrix.width == 17 + 4 * matrix.version)
        for (originX, originY) in [(0, 0), (matrix.width - 7, 0), (0, matrix.width - 7)] {
            for y in 0..<7 {
                for x in 0..<7 {
                    let ring = max(abs(x - 3), abs(y - 3))
                    // Finder pattern: dark border (ring 3), light ring 2, dark 3x3 centre.
                    #expect(matrix.isDark(x: originX + x, y: originY + y) == (ring != 2), "finder at \(originX),\(originY)")
                }
            }
        }
        #expect(!matrix.isDark(x: -1, y: 0))
        #expect(!matrix.isDark(x: 0, y: matrix.width))
    }

    @Test func unicodeRenderingPacksTwoRowsPerLineWithAQuietZone() throws {
        let matrix = try #require(try QRMatrix(encoding: Self.url))
        let quiet = 2
        let text = TerminalQRCode.render(matrix, style: .unicode, quietZone: quiet)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let side = matrix.width + 2 * quiet
        #expect(lines.count == (side + 1) / 2)
        for line in lines { #expect(line.count == side) }
        // The quiet zone is light: full blocks on the first line and at both edges.
        #expect(lines[0] == String(repeating: "█", count: side))
        for line in lines.dropLast() {
            #expect(line.hasPrefix("██") && line.hasSuffix("██"))
        }
        // Line 1 holds matrix rows 0 and 1: the finder's dark top edge over its light ring.
        let second = Array(lines[1])
        #expect(String(second[quiet..<quiet + 7]) == " ▄▄▄▄▄ ")
        #expect(try TerminalQRCode.render(Self.url) == text)
    }

    @Test func asciiRenderingUsesTwoCharactersPerModule() throws {
        let matrix = try #require(try QRMatrix(encoding: "hello"))
        let text = try #require(try TerminalQRCode.render("hello", style: .ascii, quietZone: 1))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count == matrix.width + 2)
        #expect(lines.allSatisfy { $0.count == 2 * (matrix.width + 2) && $0.allSatisfy { $0 == "#" || $0 == " " } })
        #expect(lines[0].allSatisfy { $0 == " " })
        #expect(lines[1].hasPrefix("  ##############  "))
    }

    @Test func renderingIsStableForAKnownString() throws {
        let matrix = try #require(try QRMatrix(encoding: "qwen"))
        #expect(matrix.version == 1 && matrix.width == 21)
        let text = try #require(try TerminalQRCode.render("qwen", style: .ascii, quietZone: 0))
        #expect(text == Self.pinnedQwen)
    }

    @Test func tooLongTextIsNotEncoded() throws {
        #expect(try TerminalQRCode.render(String(repeating: "x", count: 5000)) == nil)
    }

    /// libqrencode's version 1-M, 8-bit symbol for "qwen"; pinned so a change of encoding
    /// options (level, mode, mask) shows up.
    static let pinnedQwen = [
        "##############  ####    ##  ##############",
        "##          ##      ##  ##  ##          ##",
        "##  ######  ##  ##  ##      ##  ######  ##",
        "##  ######  ##    ##    ##  ##  ######  ##",
        "##  ######  ##    ##    ##  ##  ######  ##",
        "##          ##  ####        ##          ##",
        "##############  ##  ##  ##  ##############",
        "                  ##  ##                  ",
        "##  ##      ####  ########    ##    ##  ##",
        "  ##    ##        ##              ##  ####",
        "##  ####    ######          ##          ##",
        "  ##  ##  ##    ##      ##      ####  ##  ",
        "######    ####  ##  ##      ##    ##  ####",
        "                ##  ####  ######  ##  ####",
        "##############  ############  ####  ##  ##",
        "##          ##    ######  ######  ##      ",
        "##  ######  ##        ##############    ##",
        "##  ######  ##    ##              ####    ",
        "##  ######  ##  ######      ##    ##  ####",
        "##          ##      ##  ##      ##        ",
        "##############  ####        ##    ####  ##",
    ].joined(separator: "\n")
}
