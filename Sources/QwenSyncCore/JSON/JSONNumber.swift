/// A JSON number that remembers the literal it was read from.
///
/// Writing a parsed number back reproduces its literal exactly (`1795321151953` stays
/// `1795321151953`, never `1.795321151953e12`), including forms JavaScript would rewrite:
/// `1.0`, `1e3` and `-0` stay as written, where `JSON.stringify` writes `1`, `1000` and `0`.
public struct JSONNumber: Sendable, Equatable, CustomStringConvertible {
    /// The number as JSON text.
    public let literal: String

    /// Creates a number from an integer.
    public init(_ value: Int64) { literal = String(value) }

    /// Creates a number from a floating-point value; whole values are written without `.0`.
    ///
    /// The text equals JavaScript's for zero (also `-0`, written `0`) and for magnitudes from
    /// 10⁻⁴ up to 9·10¹⁵. Outside that range the digits are the same but the notation may differ:
    /// `1e-05` here, `0.00001` in JavaScript; `1e+16` here, `10000000000000000` there.
    public init(_ value: Double) {
        if value.isFinite, value == value.rounded(), abs(value) < 9.0e15 {
            literal = String(Int64(value))
        } else if value.isFinite {
            literal = String(value)
        } else {
            literal = "0"
        }
    }

    /// Creates a number from a literal the parser has already validated.
    init(validatedLiteral: String) { literal = validatedLiteral }

    /// The exact integer value, if the literal denotes one that fits in 64 bits
    /// (`5`, `5.0` and `5e0` all do).
    public var int64: Int64? {
        if let exact = Int64(literal) { return exact }
        let value = double
        guard value.isFinite, value == value.rounded(), abs(value) < 9.0e15 else { return nil }
        return Int64(value)
    }

    /// The value as a `Double`.
    public var double: Double { Double(literal) ?? .nan }

    public var description: String { literal }

    public static func == (lhs: JSONNumber, rhs: JSONNumber) -> Bool {
        lhs.literal == rhs.literal || lhs.double == rhs.double
    }
}
