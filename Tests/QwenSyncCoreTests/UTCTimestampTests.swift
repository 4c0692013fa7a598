import QwenSyncCore
import Testing

@Suite("UTCTimestamp")
struct UTCTimestampTests {
    @Test("ISO 8601 in UTC, zero-padded, with or without milliseconds")
    func iso8601() {
        #expect(UTCTimestamp.iso8601(ms: 1_795_309_323_456) == "2026-11-22T01:02:03Z")
        #expect(UTCTimestamp.iso8601(ms: 1_795_309_323_456, withMilliseconds: true) == "2026-11-22T01:02:03.456Z")
        #expect(UTCTimestamp.iso8601(ms: 7, withMilliseconds: true) == "1970-01-01T00:00:00.007Z")
        #expect(UTCTimestamp.iso8601(ms: 253_402_300_799_999) == "9999-12-31T23:59:59Z")
    }
}
