import Glibc
import Logging
import QwenSyncCore
import Testing

@testable import QwenSystemd

@Suite("StderrLogHandler")
struct StderrLogHandlerTests {
    /// 2026-11-22T01:02:03.456Z
    let instant: Int64 = 1_795_309_323_456

    @Test("timestamps are ISO 8601 UTC with milliseconds")
    func timestamp() {
        #expect(UTCTimestamp.iso8601(ms: instant, withMilliseconds: true) == "2026-11-22T01:02:03.456Z")
        #expect(UTCTimestamp.iso8601(ms: 7, withMilliseconds: true) == "1970-01-01T00:00:00.007Z")
        #expect(UTCTimestamp.iso8601(ms: instant) == "2026-11-22T01:02:03Z")
    }

    @Test("a line reads: time, level, event, sorted metadata, message")
    func line() {
        let line = StderrLogHandler.line(
            for: event(.info, "token refreshed"),
            metadata: ["account": "acct_x", "event": "refresh", "expires_in": "3600"],
            atMs: instant
        )
        #expect(line == "2026-11-22T01:02:03.456Z info refresh account=acct_x expires_in=3600: token refreshed\n")
    }

    @Test("without metadata the message follows the level")
    func bareLine() {
        let line = StderrLogHandler.line(for: event(.warning, "no accounts"), metadata: [:], atMs: instant)
        #expect(line == "2026-11-22T01:02:03.456Z warning: no accounts\n")
    }

    @Test(
        "values with spaces, quotes, = or control characters are quoted",
        arguments: [
            ("acct_x", "acct_x"),
            ("", "\"\""),
            ("two words", "\"two words\""),
            ("a=b", "\"a=b\""),
            ("say \"hi\"", "\"say \\\"hi\\\"\""),
            ("line1\nline2", "\"line1\\nline2\""),
            ("C:\\path", "\"C:\\\\path\""),
        ]
    )
    func quoting(value: String, expected: String) {
        #expect(StderrLogHandler.quoted(value) == expected)
    }

    @Test("log writes the line to its descriptor, respecting handler metadata")
    func writesToDescriptor() throws {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        defer { close(ends[0]) }
        var handler = StderrLogHandler(fileDescriptor: ends[1], metadataProvider: nil)
        handler[metadataKey: "event"] = "sync"
        var logger = Logger(label: "test") { _ in handler }
        logger.logLevel = .debug
        logger.debug("mirrored", metadata: ["account": "acct_y"])
        logger.trace("dropped")
        close(ends[1])

        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = read(ends[0], &buffer, buffer.count)
        let text = String(decoding: buffer[..<max(count, 0)], as: UTF8.self)
        let afterTimestamp = text.drop { $0 != " " }
        #expect(afterTimestamp == " debug sync account=acct_y: mirrored\n")
        #expect(text.hasSuffix("Z debug sync account=acct_y: mirrored\n"))
    }

    private func event(_ level: Logger.Level, _ message: Logger.Message) -> LogEvent {
        LogEvent(level: level, message: message, metadata: nil, source: nil, file: #fileID, function: #function, line: #line)
    }
}
