import QwenSyncCore
/// Makes server-supplied text fit for an error message.
///
/// Anything that looks like a token (a run of 24 or more characters from the base64url,
/// base64 and JWT alphabets) becomes `[redacted]`, as does every known secret; control
/// characters become spaces, and the result is cut to ``limit`` characters.
enum SafeText {
    /// The longest text kept, in characters.
    static let limit = 160

    /// The sanitized form of `text`.
    ///
    /// - Parameters:
    ///   - text: text from a server response.
    ///   - secrets: values that must not appear even when short (tokens, codes).
    static func sanitize(_ text: String, secrets: [String] = []) -> String {
        var cleaned = text
        for secret in secrets where !secret.isEmpty {
            cleaned = cleaned.replacing(secret, with: "[redacted]")
        }
        var out = ""
        var run = ""
        func flush() {
            out += run.count >= 24 ? "[redacted]" : run
            run = ""
        }
        for character in cleaned {
            if isTokenCharacter(character) {
                run.append(character)
            } else {
                flush()
                out.append(character.isASCII && (character.asciiValue! < 0x20 || character.asciiValue! == 0x7F) ? " " : character)
            }
        }
        flush()
        let trimmed = out.trimmingASCIIWhitespace()
        return trimmed.count > limit ? String(trimmed.prefix(limit)) + "…" : trimmed
    }

    private static func isTokenCharacter(_ character: Character) -> Bool {
        guard let ascii = character.asciiValue else { return false }
        switch ascii {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
            UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="):
            return true
        default:
            return false
        }
    }
}
