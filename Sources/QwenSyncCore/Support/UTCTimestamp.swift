import Glibc

/// ISO 8601 text for instants, in UTC; the one formatter of the project.
public enum UTCTimestamp {
    /// `2026-11-21T10:15:00Z`, or `2026-11-21T10:15:00.123Z` with `withMilliseconds`, for
    /// milliseconds since the Unix epoch.
    public static func iso8601(ms: Int64, withMilliseconds: Bool = false) -> String {
        var seconds = time_t(ms / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let text =
            "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1))-\(pad(Int(parts.tm_mday)))T"
            + "\(pad(Int(parts.tm_hour))):\(pad(Int(parts.tm_min))):\(pad(Int(parts.tm_sec)))"
        return withMilliseconds ? text + ".\(pad(Int(ms - Int64(seconds) * 1000), 3))Z" : text + "Z"
    }

    private static func pad(_ value: Int, _ width: Int = 2) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
