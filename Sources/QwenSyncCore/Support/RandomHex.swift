/// Random identifiers from the system's cryptographic generator.
public enum RandomHex {
    /// `byteCount` random bytes as lowercase hex.
    public static func string(byteCount: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var text = ""
        for _ in 0..<byteCount {
            let byte = UInt8.random(in: 0...255, using: &generator)
            text += String(byte >> 4, radix: 16) + String(byte & 0x0F, radix: 16)
        }
        return text
    }

    /// A random RFC 4122 version-4 UUID in lowercase, 36 characters (what qwen-code writes
    /// into its lock file).
    public static func uuid() -> String {
        let hex = Array(string(byteCount: 16))
        var characters = hex
        characters[12] = "4"
        characters[16] = Array("89ab")[Int(String(hex[16]), radix: 16)! & 0x3]
        let text = String(characters)
        let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            String(text[text.index(text.startIndex, offsetBy: range.lowerBound)..<text.index(text.startIndex, offsetBy: range.upperBound)])
        }
        return parts.joined(separator: "-")
    }
}
