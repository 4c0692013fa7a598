import Glibc
import Logging
import QwenSyncTestSupport
import Testing

@testable import QwenSystemd

@Suite("journald integration", .serialized)
struct JournaldIntegrationTests {
    @Test(
        "entries come back from journalctl with QWEN_ fields",
        .enabled(
            if: JournaldFixture.unavailableReason == nil,
            "needs root, journalctl and a running journald or /lib/systemd/systemd-journald"
        )
    )
    func roundTrip() async throws {
        let journald = try await JournaldFixture()
        let account = "acct_test_\(getpid())_\(UInt32.random(in: .min ... .max))"
        var handler = JournaldLogHandler(metadataProvider: nil)
        handler.logLevel = .debug
        let logger = Logger(label: "qwen-sync.test") { _ in handler }
        logger.warning(
            "refresh failed\nserver answered 503",
            metadata: ["event": "refresh", "account": "\(account)", "http_status": "503"]
        )
        logger.debug("mirrored", metadata: ["event": "sync", "account": "\(account)"])

        let entries = try await journald.entries(
            matching: ["SYSLOG_IDENTIFIER=qwen-sync", "QWEN_ACCOUNT=\(account)"], atLeast: 2
        )
        try #require(entries.count == 2)
        let refresh = entries[0]
        #expect(refresh["SYSLOG_IDENTIFIER"] == "qwen-sync")
        #expect(refresh["PRIORITY"] == "4")
        #expect(refresh["MESSAGE"] == "refresh failed\nserver answered 503")
        #expect(refresh["QWEN_EVENT"] == "refresh")
        #expect(refresh["QWEN_ACCOUNT"] == account)
        #expect(refresh["QWEN_HTTP_STATUS"] == "503")
        #expect(refresh["CODE_FILE"]?.hasSuffix("JournaldIntegrationTests.swift") == true)
        #expect(refresh["CODE_LINE"] != nil)
        #expect(refresh["CODE_FUNC"] == "roundTrip()")
        #expect(entries[1]["PRIORITY"] == "7")
        #expect(entries[1]["QWEN_EVENT"] == "sync")
    }
}
