import Glibc

/// Which entries `qwen-sync logs` reads: qwen-sync's own (`SYSLOG_IDENTIFIER=qwen-sync`, set
/// by the daemon and by every CLI command), from one user, optionally one event and one account.
public struct JournalFilter: Sendable, Equatable {
    /// `SYSLOG_IDENTIFIER` of every entry qwen-sync writes.
    public static let syslogIdentifier = JournaldLogHandler.syslogIdentifier

    /// Only entries logged by processes of this user (`_UID`), or every user's when `nil`.
    public var uid: uid_t?
    /// Only entries with this `QWEN_EVENT`.
    public var event: String?
    /// Only entries with this `QWEN_ACCOUNT`.
    public var account: String?

    /// A filter; by default the current user's entries of every event and account.
    public init(uid: uid_t? = getuid(), event: String? = nil, account: String? = nil) {
        self.uid = uid
        self.event = event
        self.account = account
    }

    /// The journal matches, all of which an entry must satisfy (they name different fields).
    public var matches: [String] {
        var matches = ["SYSLOG_IDENTIFIER=\(Self.syslogIdentifier)"]
        if let uid { matches.append("_UID=\(uid)") }
        if let event { matches.append("QWEN_EVENT=\(event)") }
        if let account { matches.append("QWEN_ACCOUNT=\(account)") }
        return matches
    }
}
