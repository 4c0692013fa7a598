import Glibc
import Logging
import QwenSyncCore
import QwenSyncTestSupport
import Testing

@testable import QwenSystemd

/// Log floods are cut per kind of line, with a count of what was dropped.
@Suite("log rate limit")
struct LogRateLimitTests {
    @Test("rule: a burst passes, then one line per refill; the next line after a drop reports how many were dropped")
    func tokenBucket() {
        var limit = LogRateLimit(burst: 3, refillEveryMs: 100)
        #expect((0..<3).map { _ in limit.admit(kind: "sync info", nowMs: 0) } == Array(repeating: .pass(suppressedBefore: 0), count: 3))
        #expect((0..<5).map { _ in limit.admit(kind: "sync info", nowMs: 99) } == Array(repeating: .drop, count: 5))
        #expect(limit.admit(kind: "error warning", nowMs: 99) == .pass(suppressedBefore: 0), "other kinds have their own bucket")
        #expect(limit.admit(kind: "sync info", nowMs: 100) == .pass(suppressedBefore: 5))
        #expect(limit.admit(kind: "sync info", nowMs: 150) == .drop)
        #expect(limit.admit(kind: "sync info", nowMs: 10_000) == .pass(suppressedBefore: 1))
        #expect(
            (0..<2).map { _ in limit.admit(kind: "sync info", nowMs: 10_000) } == [.pass(suppressedBefore: 0), .pass(suppressedBefore: 0)],
            "refilled up to the burst, not beyond")
        #expect(limit.admit(kind: "sync info", nowMs: 10_000) == .drop)
    }

    @Test("10,000 lines of one kind through the handler write at most the burst, a warning among them still passes, critical always")
    func floodThroughHandler() throws {
        let directory = try TemporaryDirectory(prefix: "qwen-log-limit")
        defer { directory.remove() }
        let path = directory.appending("log")
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        #expect(descriptor >= 0)
        defer { close(descriptor) }
        let upstream = StderrLogHandler(fileDescriptor: descriptor, metadataProvider: nil)
        var handler = RateLimitedLogHandler(upstream, limit: LogRateLimit(burst: 50, refillEveryMs: 3_600_000))
        handler.logLevel = .debug
        let logger = Logger(label: "test") { _ in handler }
        for index in 0..<10_000 { logger.info("peer wrote the file (\(index))", metadata: ["event": "sync"]) }
        logger.warning("sync failed", metadata: ["event": "sync"])
        logger.critical("stopping", metadata: ["event": "sync"])
        let lines = (FileTools.text(path) ?? "").split(separator: "\n")
        #expect(lines.count == 52, "\(lines.count) lines")
        #expect(lines.last?.hasSuffix("stopping") == true && lines.contains { $0.hasSuffix("sync failed") })
    }
}
