/// Random identifiers from the system's cryptographic generator.
public enum RandomHex {
    /// `byteCount` random bytes as lowercase hex (eight bytes per call to the generator).
    public static func string(byteCount: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(byteCount * 2)
        var word: UInt64 = 0
        for index in 0..<byteCount {
            if index % 8 == 0 { word = generator.next() }
            let byte = UInt8(truncatingIfNeeded: word >> (UInt64(index % 8) * 8))
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// A random RFC 4122 version-4 UUID in lowercase, 36 characters (what qwen-code writes
    /// into its lock file).
    public static func uuid() -> String {
        var hex = Array(string(byteCount: 16).utf8)
        hex[12] = UInt8(ascii: "4")
        hex[16] = Array("89ab".utf8)[Int(hex[16] % 4)]
        let groups = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(decoding: hex[$0], as: UTF8.self) }
        return groups.joined(separator: "-")
    }
}
