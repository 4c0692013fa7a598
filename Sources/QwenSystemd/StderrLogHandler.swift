import Glibc
import Logging
import QwenSyncCore

/// A swift-log `LogHandler` that writes one readable line per entry to a file descriptor.
///
/// The line reads `2026-11-22T01:02:03.456Z info refresh account=acct_x: message`: a UTC
/// timestamp with milliseconds, the level, the `event` metadata value when there is one, the
/// other metadata as sorted `key=value` pairs (quoted when needed), and the message. It is the
/// choice outside journald: a terminal, a pipe, a test.
public struct StderrLogHandler: LogHandler {
    /// The lowest level this handler passes on.
    public var logLevel: Logger.Level = .info

    /// Metadata added to every line of this handler.
    public var metadata: Logger.Metadata = [:]

    /// Supplies contextual metadata (for example task-local values) at log time.
    public var metadataProvider: Logger.MetadataProvider?

    private let fileDescriptor: Int32

    /// Creates a handler writing to standard error, or to another open descriptor.
    ///
    /// swift-log's logger label is not printed: the `event` metadata says what a line is about.
    ///
    /// - Parameters:
    ///   - fileDescriptor: Where lines go; standard error by default. The handler never closes it.
    ///   - metadataProvider: Contextual metadata source; defaults to the global one.
    public init(
        fileDescriptor: Int32 = STDERR_FILENO,
        metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider
    ) {
        self.fileDescriptor = fileDescriptor
        self.metadataProvider = metadataProvider
    }

    /// Reads or writes one metadata value of this handler.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one line with a single `write(2)`, so that concurrent lines do not interleave.
    public func log(event: LogEvent) {
        let line = Self.line(
            for: event,
            metadata: .merged(handler: metadata, provider: metadataProvider, event: event),
            atMs: WallClock.nowMs()
        )
        DescriptorOutput.writeAll(line, to: fileDescriptor)
    }

    /// The text of one entry, newline included.
    static func line(for event: LogEvent, metadata: Logger.Metadata, atMs time: Int64) -> String {
        var parts = [UTCTimestamp.iso8601(ms: time, withMilliseconds: true), event.level.rawValue]
        var rest = metadata
        if let name = rest.removeValue(forKey: "event") {
            parts.append(quoted("\(name)"))
        }
        for (key, value) in rest.sorted(by: { $0.key < $1.key }) {
            parts.append("\(key)=\(quoted("\(value)"))")
        }
        return parts.joined(separator: " ") + ": \(event.message)\n"
    }

    /// The value as is when it is one plain word, else in double quotes with `\`, `"` and
    /// control characters escaped.
    static func quoted(_ value: String) -> String {
        let plain =
            !value.isEmpty
            && value.unicodeScalars.allSatisfy {
                $0.value > 0x20 && $0 != "\"" && $0 != "=" && $0 != "\\" && $0.value != 0x7F
            }
        if plain { return value }
        var result = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
