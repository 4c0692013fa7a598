import Glibc
import QwenSystemd
import Testing

@Suite("--since times")
struct JournalTimeTests {
    /// 2026-12-04 23:50:01 UTC.
    static let nowUs: UInt64 = 1_796_428_201_000_000

    @Test("durations ago, in every accepted spelling")
    func durations() {
        for text in ["30m", "-30m", "30m ago", " 30m "] {
            #expect(JournalTime.parse(text, nowUs: Self.nowUs) == Self.nowUs - 1_800_000_000, "\(text)")
        }
        #expect(JournalTime.parse("90s", nowUs: Self.nowUs) == Self.nowUs - 90_000_000)
        #expect(JournalTime.parse("2h", nowUs: Self.nowUs) == Self.nowUs - 7_200_000_000)
        #expect(JournalTime.parse("1d", nowUs: Self.nowUs) == Self.nowUs - 86_400_000_000)
        #expect(JournalTime.parse("now", nowUs: Self.nowUs) == Self.nowUs)
    }

    @Test("absolute times: UTC with Z, epoch seconds, dates alone")
    func absolute() {
        #expect(JournalTime.parse("2026-12-04 23:50:01Z", nowUs: 0) == Self.nowUs)
        #expect(JournalTime.parse("2026-12-04T23:50:01Z", nowUs: 0) == Self.nowUs)
        #expect(JournalTime.parse("2026-12-04T23:50Z", nowUs: 0) == Self.nowUs - 1_000_000)
        #expect(JournalTime.parse("2026-12-04Z", nowUs: 0) == Self.nowUs - (23 * 3600 + 50 * 60 + 1) * 1_000_000)
        #expect(JournalTime.parse("@1796428201", nowUs: 0) == Self.nowUs)
    }

    @Test("local times follow TZ, and so does the printed form")
    func localTime() async {
        // TZ is process-wide: it is set in a child process of its own (an exit test).
        await #expect(processExitsWith: .success) {
            withEnvironment(["TZ": "UTC"]) {
                tzset()
                #expect(JournalTime.parse("2026-12-04 23:50:01", nowUs: 0) == Self.nowUs)
                #expect(JournalTime.localText(us: Self.nowUs + 999_999) == "2026-12-04 23:50:01")
                #expect(JournalTime.iso8601(us: Self.nowUs + 123_456) == "2026-12-04T23:50:01.123Z")
                #expect(JournalTime.parse("today", nowUs: Self.nowUs) == Self.nowUs - (23 * 3600 + 50 * 60 + 1) * 1_000_000)
                #expect(JournalTime.parse("yesterday", nowUs: Self.nowUs) == Self.nowUs - (47 * 3600 + 50 * 60 + 1) * 1_000_000)
            }
        }
    }

    @Test("anything else is refused", arguments: ["", "soon", "30x", "2026-13-01", "2026-12-04 25:00", "12:30", "@x", "m"])
    func refused(text: String) {
        #expect(JournalTime.parse(text, nowUs: Self.nowUs) == nil)
    }
}
