import CSystemd
import Glibc
import Logging

/// A swift-log `LogHandler` that writes structured entries to the systemd journal.
///
/// Every entry carries `SYSLOG_IDENTIFIER=qwen-sync`, `PRIORITY` (syslog numbering),
/// `MESSAGE`, `CODE_FILE`, `CODE_LINE` and `CODE_FUNC`. Each metadata key becomes one
/// `QWEN_*` field: `event` → `QWEN_EVENT`, `account` → `QWEN_ACCOUNT`, `http_status` →
/// `QWEN_HTTP_STATUS` (uppercased, every character outside `A-Z0-9` turned into `_`).
/// Values may span lines; libsystemd length-prefixes them.
///
/// Entries go through `sd_journal_sendv_with_location`. When no journald listens on
/// `/run/systemd/journal/socket`, libsystemd drops them silently, so choose this handler
/// only when the journal is known to be there (see ``LoggingBootstrap``).
public struct JournaldLogHandler: LogHandler {
    /// The `SYSLOG_IDENTIFIER` of every entry.
    public static let syslogIdentifier = "qwen-sync"

    /// The lowest level this handler passes on.
    public var logLevel: Logger.Level = .info

    /// Metadata added to every entry of this handler.
    public var metadata: Logger.Metadata = [:]

    /// Supplies contextual metadata (for example task-local values) at log time.
    public var metadataProvider: Logger.MetadataProvider?

    /// Creates a handler.
    ///
    /// swift-log's logger label is not recorded: entries are identified by `SYSLOG_IDENTIFIER`
    /// and `QWEN_EVENT`.
    ///
    /// - Parameter metadataProvider: Contextual metadata source; defaults to the global one.
    public init(metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider) {
        self.metadataProvider = metadataProvider
    }

    /// Reads or writes one metadata value of this handler.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Sends one entry to the journal.
    ///
    /// Errors from libsystemd are ignored: a logger has nowhere to report its own failure.
    public func log(event: LogEvent) {
        let fields = Self.fields(
            for: event,
            metadata: .merged(handler: metadata, provider: metadataProvider, event: event)
        )
        Self.send(fields, file: event.file, line: event.line, function: event.function)
    }

    /// The journal fields (`NAME=value`) of one event, `CODE_*` excluded.
    static func fields(for event: LogEvent, metadata: Logger.Metadata) -> [String] {
        var fields = [
            "SYSLOG_IDENTIFIER=\(syslogIdentifier)",
            "PRIORITY=\(priority(of: event.level))",
            "MESSAGE=\(event.message)",
        ]
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            fields.append("\(fieldName(forMetadataKey: key))=\(value)")
        }
        return fields
    }

    /// The syslog priority of a swift-log level (trace and debug share 7, debug).
    static func priority(of level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// The journal field name of a metadata key: `QWEN_` plus the key uppercased, with every
    /// character outside `A-Z0-9` replaced by `_`, cut to journald's 64-character limit.
    ///
    /// A key that already maps to a `QWEN_` name is not prefixed twice.
    static func fieldName(forMetadataKey key: String) -> String {
        var name = String(
            key.unicodeScalars.map { scalar -> Character in
                switch scalar {
                case "a"..."z": Character(Unicode.Scalar(scalar.value - 32)!)
                case "A"..."Z", "0"..."9": Character(scalar)
                default: "_"
                }
            }
        )
        if !name.hasPrefix("QWEN_") {
            name = "QWEN_" + name
        }
        return String(name.prefix(64))
    }

    /// Hands the fields to libsystemd as one `iovec` array over a single buffer.
    private static func send(_ fields: [String], file: String, line: UInt, function: String) {
        var storage: [UInt8] = []
        var ranges: [Range<Int>] = []
        for field in fields {
            let start = storage.count
            storage.append(contentsOf: field.utf8)
            ranges.append(start..<storage.count)
        }
        guard let systemd = try? LibSystemd.shared.get() else { return }  // as libsystemd does without journald
        storage.withUnsafeMutableBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            let vectors = ranges.map { iovec(iov_base: base + $0.lowerBound, iov_len: $0.count) }
            _ = vectors.withUnsafeBufferPointer { buffer in
                systemd.journalSendvWithLocation(
                    "CODE_FILE=\(file)",
                    "CODE_LINE=\(line)",
                    function,
                    buffer.baseAddress,
                    Int32(buffer.count)
                )
            }
        }
    }
}
