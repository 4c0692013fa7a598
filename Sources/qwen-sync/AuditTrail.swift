import Logging
import QwenSystemd

/// The journal as the audit trail: one structured entry per CLI action that changes the files.
///
/// Entries carry `SYSLOG_IDENTIFIER=qwen-sync`, `QWEN_EVENT`, `QWEN_ACCOUNT` (an account id),
/// `QWEN_SOURCE=cli` and a `MESSAGE` without any token. Without a journald socket nothing is
/// written and nothing is said.
enum AuditTrail {
    /// What a CLI action did, as its `QWEN_EVENT`.
    enum Event: String {
        case login, `switch`, remove, `import`, reset, rename, refresh, restore, keep
    }

    private static let logger = Logger(label: "qwen-sync.audit") { _ in JournaldLogHandler() }

    /// Records one action on `account` (an id, never a token).
    static func record(_ event: Event, account: String?, _ message: String) {
        var metadata: Logger.Metadata = ["event": .string(event.rawValue), "source": "cli"]
        if let account { metadata["account"] = .string(account) }
        logger.info("\(message)", metadata: metadata)
    }
}
