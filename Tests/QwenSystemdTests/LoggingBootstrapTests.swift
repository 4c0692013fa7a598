import Glibc
import Logging
import Testing

@testable import QwenSystemd

@Suite("LoggingBootstrap decisions")
struct LoggingBootstrapTests {
    @Test("QWEN_SYNC_LOG forces the destination; unknown values fall through")
    func forced() {
        #expect(destination(["QWEN_SYNC_LOG": "journal"]) == .journal)
        #expect(destination(["QWEN_SYNC_LOG": "STDERR", "JOURNAL_STREAM": journalStream(of: STDERR_FILENO)]) == .stderr)
        #expect(destination(["QWEN_SYNC_LOG": "syslog"]) == .stderr)
        #expect(destination([:]) == .stderr)
    }

    @Test("JOURNAL_STREAM selects the journal only when it names standard error's file")
    func journalStream() throws {
        var template = Array("/tmp/qwen-sync-stream-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        try #require(fd >= 0)
        defer { close(fd); unlink(template) }
        let stream = journalStream(of: fd)

        #expect(LoggingBootstrap.destination(environment: { ["JOURNAL_STREAM": stream][$0] }, standardError: fd) == .journal)
        #expect(LoggingBootstrap.isJournalStream(stream, fileDescriptor: fd))
        #expect(!LoggingBootstrap.isJournalStream(stream + "1", fileDescriptor: fd))
        #expect(!LoggingBootstrap.isJournalStream("garbage", fileDescriptor: fd))
        #expect(!LoggingBootstrap.isJournalStream("1:2:3", fileDescriptor: fd))
        #expect(!LoggingBootstrap.isJournalStream(stream, fileDescriptor: -1))
    }

    @Test("QWEN_SYNC_LOG_LEVEL sets the level, case-insensitively, defaulting to info")
    func level() {
        #expect(LoggingBootstrap.level(environment: { _ in nil }) == .info)
        #expect(LoggingBootstrap.level(environment: { $0 == "QWEN_SYNC_LOG_LEVEL" ? "Debug" : nil }) == .debug)
        #expect(LoggingBootstrap.level(environment: { $0 == "QWEN_SYNC_LOG_LEVEL" ? "trace" : nil }) == .trace)
        #expect(LoggingBootstrap.level(environment: { $0 == "QWEN_SYNC_LOG_LEVEL" ? "loud" : nil }) == .info)
    }

    private func destination(_ environment: [String: String]) -> LogDestination {
        LoggingBootstrap.destination(environment: { environment[$0] }, standardError: STDERR_FILENO)
    }

    private func journalStream(of fd: Int32) -> String {
        var status = stat()
        fstat(fd, &status)
        return "\(status.st_dev):\(status.st_ino)"
    }
}
