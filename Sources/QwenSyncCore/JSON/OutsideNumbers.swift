/// Numbers that come from outside (a file, a server's answer, the environment, the socket),
/// turned into values that no later arithmetic can overflow.
///
/// The rule: a number read from outside is interpreted once, here, into a bounded range; code
/// that computes with it (`expiry - now`, `now + lead`, `seconds * 1000`) then cannot trap, and
/// files keep what they said (``OAuthCredentials`` writes an out-of-range `expiry_date` back as
/// it read it). Nothing outside this layer converts a parsed number with a trapping
/// initializer.
public enum OutsideNumbers {
    /// The range every epoch time in milliseconds read from outside is clamped into: ±2⁵³ ms,
    /// about ±285,000 years. Any sum or difference of two such values, or of one and a
    /// duration of less than 2⁶² ms, fits in 64 bits.
    public static let epochMillisecondsRange: ClosedRange<Int64> = -(1 << 53)...(1 << 53)

    /// The longest access-token lifetime believed from a token response (`expires_in`): one
    /// year. Longer ones (`1e18`, `1e400`) are clamped to it and reported.
    public static let maximumLifetimeSeconds: Int64 = 365 * 86_400

    /// `number` as an epoch time in milliseconds: rounded toward zero, clamped into
    /// ``epochMillisecondsRange`` (±infinity, as `1e400` reads, to its ends).
    public static func epochMilliseconds(_ number: JSONNumber) -> Int64 {
        clamped(number, to: epochMillisecondsRange)
    }

    /// `number` rounded toward zero and clamped into `range` (a literal that is somehow not a
    /// number at all counts as 0).
    public static func clamped(_ number: JSONNumber, to range: ClosedRange<Int64>) -> Int64 {
        if let exact = Int64(number.literal) { return min(max(exact, range.lowerBound), range.upperBound) }
        let value = number.double
        if value.isNaN { return min(max(0, range.lowerBound), range.upperBound) }
        if value <= Double(range.lowerBound) { return range.lowerBound }
        if value >= Double(range.upperBound) { return range.upperBound }
        return Int64(value.rounded(.towardZero))
    }

    /// The value of a JSON number, or of a string holding one (some servers quote numbers),
    /// rounded toward zero and clamped into `range`; `nil` for anything else (`"abc"`, `null`,
    /// `true`, an object).
    public static func clamped(_ value: JSONValue?, to range: ClosedRange<Int64>) -> Int64? {
        switch value {
        case .number(let number)?: return clamped(number, to: range)
        case .string(let text)?:
            let trimmed = text.trimmingASCIIWhitespace()
            guard !trimmed.isEmpty, let number = try? JSON.parse(Array(trimmed.utf8)), case .number(let parsed) = number else { return nil }
            return clamped(parsed, to: range)
        default: return nil
        }
    }

    /// What a token response's `expires_in` means, and what was wrong with it.
    public struct Lifetime: Sendable, Equatable {
        /// The lifetime to use, in seconds: 1 … ``OutsideNumbers/maximumLifetimeSeconds``.
        public let seconds: Int64
        /// Why the value sent was not used as it was (for the log), or `nil` when it was.
        public let problem: String?
    }

    /// Interprets `expires_in`: a positive whole number of seconds is used as sent (up to one
    /// year); a longer one is clamped to a year; a missing, zero, negative or non-numeric one
    /// means `assumedSeconds` (dropping the response instead would lose a rotated refresh token).
    public static func lifetime(_ value: JSONValue?, assumedSeconds: Int64) -> Lifetime {
        guard let value, !value.isNull else { return Lifetime(seconds: assumedSeconds, problem: nil) }
        guard let seconds = clamped(value, to: Int64.min / 2...Int64.max / 2) else {
            return Lifetime(
                seconds: assumedSeconds,
                problem: "expires_in is \(value.typeName == "string" ? "a string that is not a number" : "a \(value.typeName)"); assumed \(assumedSeconds) s")
        }
        if seconds <= 0 { return Lifetime(seconds: assumedSeconds, problem: "expires_in \(describe(value)) is not a lifetime; assumed \(assumedSeconds) s") }
        if seconds > maximumLifetimeSeconds {
            return Lifetime(
                seconds: maximumLifetimeSeconds, problem: "expires_in \(describe(value)) is more than a year; clamped to \(maximumLifetimeSeconds) s")
        }
        return Lifetime(seconds: seconds, problem: nil)
    }

    /// A short rendering of an outside value for a message (never more than 40 characters).
    private static func describe(_ value: JSONValue) -> String {
        let text: String
        switch value {
        case .number(let number): text = number.literal
        case .string(let string): text = "\"\(string)\""
        default: text = value.typeName
        }
        return text.count > 40 ? String(text.prefix(37)) + "..." : text
    }
}

extension Int64 {
    /// `self + other`, clamped to `Int64.min … Int64.max` instead of trapping.
    public func addingSaturated(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }

    /// `self - other`, clamped to `Int64.min … Int64.max` instead of trapping.
    public func subtractingSaturated(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return difference }
        return other < 0 ? .max : .min
    }

    /// `self * other`, clamped to `Int64.min … Int64.max` instead of trapping.
    public func multipliedSaturated(by other: Int64) -> Int64 {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        guard overflow else { return product }
        return (self < 0) == (other < 0) ? .max : .min
    }
}

extension JSONValue {
    /// The number as an epoch time in milliseconds (``OutsideNumbers/epochMilliseconds(_:)``),
    /// when this is a number.
    public var epochMilliseconds: Int64? {
        if case .number(let value) = self { return OutsideNumbers.epochMilliseconds(value) }
        return nil
    }
}
