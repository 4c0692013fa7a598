/// One journal entry as `qwen-sync logs` shows it: when, and its fields as text.
public struct JournalEntry: Sendable, Equatable {
    /// When journald received it, in microseconds since the epoch.
    public let realtimeUs: UInt64
    /// The entry's position in the journal, for resuming after it.
    public let cursor: String
    /// Every field, `NAME` → value (binary values decoded as UTF-8, invalid bytes replaced).
    public let fields: [String: String]

    /// Creates an entry.
    public init(realtimeUs: UInt64, cursor: String, fields: [String: String]) {
        self.realtimeUs = realtimeUs
        self.cursor = cursor
        self.fields = fields
    }

    /// `MESSAGE`, or the empty string.
    public var message: String { fields["MESSAGE"] ?? "" }
    /// `QWEN_EVENT`, such as `refresh`.
    public var event: String? { fields["QWEN_EVENT"] }
    /// `QWEN_ACCOUNT`, an account id.
    public var account: String? { fields["QWEN_ACCOUNT"] }
    /// `PRIORITY`, syslog numbering (0 emergency … 7 debug).
    public var priority: Int? { fields["PRIORITY"].flatMap { Int($0) } }
    /// `_PID`, the process that logged it.
    public var pid: Int? { fields["_PID"].flatMap { Int($0) } }
}
