import Foundation
import Glibc
import Logging
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
    func roundTrip() throws {
        let journald = try JournaldFixture()
        let account = "acct_test_\(getpid())_\(UInt32.random(in: .min ... .max))"
        var handler = JournaldLogHandler(metadataProvider: nil)
        handler.logLevel = .debug
        let logger = Logger(label: "qwen-sync.test") { _ in handler }
        logger.warning(
            "refresh failed\nserver answered 503",
            metadata: ["event": "refresh", "account": "\(account)", "http_status": "503"]
        )
        logger.debug("mirrored", metadata: ["event": "sync", "account": "\(account)"])

        let entries = try readBack(account: account)
        withExtendedLifetime(journald) {}
        try #require(entries.count == 2)
        let refresh = entries[0]
        #expect(refresh["SYSLOG_IDENTIFIER"] as? String == "qwen-sync")
        #expect(refresh["PRIORITY"] as? String == "4")
        #expect(refresh["MESSAGE"] as? String == "refresh failed\nserver answered 503")
        #expect(refresh["QWEN_EVENT"] as? String == "refresh")
        #expect(refresh["QWEN_ACCOUNT"] as? String == account)
        #expect(refresh["QWEN_HTTP_STATUS"] as? String == "503")
        #expect((refresh["CODE_FILE"] as? String)?.hasSuffix("JournaldIntegrationTests.swift") == true)
        #expect(refresh["CODE_LINE"] as? String != nil)
        #expect(refresh["CODE_FUNC"] as? String == "roundTrip()")
        #expect(entries[1]["PRIORITY"] as? String == "7")
        #expect(entries[1]["QWEN_EVENT"] as? String == "sync")
    }

    /// The entries for `account`, oldest first, after `journalctl --sync`; retried briefly.
    private func readBack(account: String) throws -> [[String: Any]] {
        let journalctl = try #require(JournaldFixture.journalctl)
        _ = try run(journalctl, ["--sync"])
        var entries: [[String: Any]] = []
        for _ in 0..<20 {
            let output = try run(
                journalctl,
                ["--no-pager", "-o", "json", "SYSLOG_IDENTIFIER=qwen-sync", "QWEN_ACCOUNT=\(account)"]
            )
            entries = try output.split(separator: "\n").compactMap {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            if entries.count >= 2 { break }
            usleep(100_000)
        }
        return entries
    }

    private func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
