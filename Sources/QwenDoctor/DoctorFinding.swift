import QwenSyncCore

/// How one doctor check came out.
public enum DoctorStatus: String, Sendable, Equatable, Comparable {
    /// All is well.
    case ok
    /// Usable, but something will cost time or trip a client; the fix says what to do.
    case warn
    /// Something is broken or unsafe; the fix says what to do.
    case fail
    /// The check could not run here (no systemd, for instance); the message says why.
    case skip

    /// Severity order: skip < ok < warn < fail.
    public static func < (lhs: DoctorStatus, rhs: DoctorStatus) -> Bool {
        lhs.severity < rhs.severity
    }

    private var severity: Int {
        switch self {
        case .skip: 0
        case .ok: 1
        case .warn: 2
        case .fail: 3
        }
    }
}

/// One finding of `qwen-sync doctor`: what was checked, how it came out, what to do.
///
/// Messages and fixes name files, accounts and processes, never a token.
public struct DoctorFinding: Sendable, Equatable {
    /// A stable identifier such as `credentials_file` or `account:acct_…`.
    public var id: String
    /// The outcome.
    public var status: DoctorStatus
    /// One line: what was found.
    public var message: String
    /// One line: what to do about it, or `nil` when nothing needs doing.
    public var fix: String?

    /// Creates a finding.
    public init(_ id: String, _ status: DoctorStatus, _ message: String, fix: String? = nil) {
        self.id = id
        self.status = status
        self.message = message
        self.fix = fix
    }

    /// `{"id", "status", "message", "fix"}`.
    public var json: JSONValue {
        .object(
            JSONObject([
                ("id", .string(id)),
                ("status", .string(status.rawValue)),
                ("message", .string(message)),
                ("fix", .optionalString(fix)),
            ]))
    }
}
