import Logging
import Testing

@testable import QwenSystemd

@Suite("JournaldLogHandler fields")
struct JournaldLogHandlerTests {
    @Test(
        "metadata keys become QWEN_ field names",
        arguments: [
            ("event", "QWEN_EVENT"),
            ("account", "QWEN_ACCOUNT"),
            ("foo_bar", "QWEN_FOO_BAR"),
            ("http.status", "QWEN_HTTP_STATUS"),
            ("expiresIn-ms", "QWEN_EXPIRESIN_MS"),
            ("QWEN_ALREADY", "QWEN_ALREADY"),
            ("été", "QWEN__T_"),
            (String(repeating: "k", count: 80), "QWEN_" + String(repeating: "K", count: 59)),
        ]
    )
    func fieldName(key: String, expected: String) {
        #expect(JournaldLogHandler.fieldName(forMetadataKey: key) == expected)
    }

    @Test("swift-log levels map to syslog priorities")
    func priorities() {
        let expected: [Logger.Level: Int] = [
            .trace: 7, .debug: 7, .info: 6, .notice: 5, .warning: 4, .error: 3, .critical: 2,
        ]
        for level in Logger.Level.allCases {
            #expect(JournaldLogHandler.priority(of: level) == expected[level])
        }
    }

    @Test("an event becomes identifier, priority, message and sorted QWEN_ fields")
    func fields() {
        let event = LogEvent(
            level: .warning,
            message: "refresh failed\nserver said 503",
            metadata: nil,
            source: nil,
            file: "QwenSyncDaemon/Refresher.swift",
            function: "refresh()",
            line: 42
        )
        let fields = JournaldLogHandler.fields(
            for: event,
            metadata: ["event": "refresh", "account": "acct_x", "http_status": "503"]
        )
        #expect(
            fields == [
                "SYSLOG_IDENTIFIER=qwen-sync",
                "PRIORITY=4",
                "MESSAGE=refresh failed\nserver said 503",
                "QWEN_ACCOUNT=acct_x",
                "QWEN_EVENT=refresh",
                "QWEN_HTTP_STATUS=503",
            ]
        )
    }

    @Test("handler, provider, call-site metadata and the error merge, call site winning")
    func mergedMetadata() {
        struct Refused: Error, CustomStringConvertible {
            var description: String { "invalid_grant" }
        }
        let provider = Logger.MetadataProvider { ["account": "from-provider", "pid": "7"] }
        let event = LogEvent(
            level: .error,
            message: "x",
            error: Refused(),
            metadata: ["account": "acct_call"],
            source: nil,
            file: #fileID,
            function: #function,
            line: #line
        )
        let merged = Logger.Metadata.merged(
            handler: ["account": "from-handler", "event": "refresh"],
            provider: provider,
            event: event
        )
        #expect(
            merged.mapValues(\.description)
                == ["account": "acct_call", "event": "refresh", "pid": "7", "error": "invalid_grant"]
        )
    }
}
