import Glibc
import QwenSyncCore

/// The times `qwen-sync logs` reads (`--since`) and prints.
public enum JournalTime {
    /// The microseconds since the epoch that `text` names, relative to `nowUs`.
    ///
    /// Accepted: `2026-12-04`, `2026-12-04 23:50`, `2026-12-04 23:50:01` (also with `T`;
    /// local time, or UTC with a trailing `Z`), `@1796428201` (epoch seconds), a duration
    /// ago such as `90s`, `30m`, `2h`, `1d` (optionally `-30m` or `30m ago`), `now`, `today`
    /// and `yesterday` (local midnight).
    ///
    /// - Returns: `nil` when the text is none of these.
    public static func parse(_ text: String, nowUs: UInt64) -> UInt64? {
        var value = text.trimmingASCIIWhitespace()
        if value == "now" { return nowUs }
        if value == "today" || value == "yesterday" {
            var seconds = time_t(nowUs / 1_000_000)
            var parts = tm()
            localtime_r(&seconds, &parts)
            parts.tm_hour = 0
            parts.tm_min = 0
            parts.tm_sec = 0
            parts.tm_isdst = -1
            if value == "yesterday" { parts.tm_mday -= 1 }
            return UInt64(max(0, mktime(&parts))) * 1_000_000
        }
        if value.hasPrefix("@") {
            return UInt64(value.dropFirst()).map { $0 * 1_000_000 }
        }
        if value.hasSuffix(" ago") { value = String(value.dropLast(4)).trimmingASCIIWhitespace() }
        if value.hasPrefix("-") { value.removeFirst() }
        if let unit = value.last, let multiplier = unitSeconds[unit], let count = UInt64(value.dropLast()) {
            let ago = count * multiplier * 1_000_000
            return nowUs > ago ? nowUs - ago : 0
        }
        return parseCalendar(value)
    }

    /// `2026-12-04 23:50:01` in local time.
    public static func localText(us: UInt64) -> String {
        var seconds = time_t(us / 1_000_000)
        var parts = tm()
        localtime_r(&seconds, &parts)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday)) "
            + "\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec))"
    }

    /// `2026-12-04T23:50:01.123Z` (UTC, milliseconds).
    public static func iso8601(us: UInt64) -> String {
        UTCTimestamp.iso8601(ms: Int64(us / 1000), withMilliseconds: true)
    }

    private static let unitSeconds: [Character: UInt64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]

    /// `YYYY-MM-DD[( |T)HH:MM[:SS]][Z]`.
    private static func parseCalendar(_ text: String) -> UInt64? {
        var value = Substring(text)
        let utc = value.hasSuffix("Z")
        if utc { value = value.dropLast() }
        let halves = value.split(whereSeparator: { $0 == " " || $0 == "T" })
        guard halves.count == 1 || halves.count == 2 else { return nil }
        let date = halves[0].split(separator: "-", omittingEmptySubsequences: false).map { Int32($0) }
        let clock = halves.count == 2 ? halves[1].split(separator: ":", omittingEmptySubsequences: false).map { Int32($0) } : []
        guard date.count == 3, clock.count == 0 || clock.count == 2 || clock.count == 3,
            !(date + clock).contains(nil)
        else { return nil }
        let numbers = (date + clock).compactMap { $0 }
        guard (1...12).contains(numbers[1]), (1...31).contains(numbers[2]),
            clock.isEmpty || ((0...23).contains(numbers[3]) && (0...59).contains(numbers[4])),
            clock.count < 3 || (0...60).contains(numbers[5])
        else { return nil }
        var parts = tm()
        parts.tm_year = numbers[0] - 1900
        parts.tm_mon = numbers[1] - 1
        parts.tm_mday = numbers[2]
        parts.tm_hour = clock.isEmpty ? 0 : numbers[3]
        parts.tm_min = clock.isEmpty ? 0 : numbers[4]
        parts.tm_sec = clock.count == 3 ? numbers[5] : 0
        parts.tm_isdst = -1
        let seconds = utc ? timegm(&parts) : mktime(&parts)
        guard seconds >= 0 else { return nil }
        return UInt64(seconds) * 1_000_000
    }

    private static func pad(_ value: Int32, _ width: Int = 2) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
