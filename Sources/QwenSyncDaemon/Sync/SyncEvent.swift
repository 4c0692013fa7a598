/// Something a sync round did or found, for logs and status. Never carries a token.
public enum SyncEvent: Sendable, Equatable, CustomStringConvertible {
    /// New credentials in `oauth_creds.json` became a new account.
    case accountAdded(id: String)
    /// Fresher credentials in `oauth_creds.json` updated an account in the store.
    case accountUpdated(id: String)
    /// The active account changed.
    case switched(from: String?, to: String, reason: String)
    /// `oauth_creds.json` held a dead or older token (of `id`, when known); it is written over.
    case staleCredentials(id: String?)
    /// A peer wrote a dead token over `id` in the store; its live token was put back.
    case reinstated(id: String)
    /// A peer removed `id` from the store; its token was kept in `qwen-sync-recovered.json`.
    case keptRemoved(id: String)
    /// The active account was written into `oauth_creds.json`.
    case mirrored(id: String)
    /// `oauth_creds.json` was deleted and has been written again.
    case restored(id: String)
    /// `oauth_creds.json` is unusable and was left alone.
    case credentialsInvalid(problem: String)
    /// No account can serve; a human must run `qwen-sync login`.
    case loginNeeded(reason: String)
    /// The active account `id` was refused in a way that may be the configuration's fault (a
    /// wrong client id or token endpoint answers like a dead token), so it stays active: another
    /// account would be refused the same way, and its token is presented again once the
    /// configuration changes.
    case refusedUnderConfiguration(id: String)

    /// The account concerned, for the `QWEN_ACCOUNT` journal field.
    public var accountID: String? {
        switch self {
        case .accountAdded(let id), .accountUpdated(let id), .mirrored(let id), .restored(let id): id
        case .switched(_, let to, _): to
        case .staleCredentials(let id): id
        case .reinstated(let id), .keptRemoved(let id), .refusedUnderConfiguration(let id): id
        case .credentialsInvalid, .loginNeeded: nil
        }
    }

    /// The journal event name (`QWEN_EVENT`).
    public var eventName: String {
        switch self {
        case .switched: "switch"
        case .credentialsInvalid, .loginNeeded, .refusedUnderConfiguration: "error"
        default: "sync"
        }
    }

    public var description: String {
        switch self {
        case .accountAdded(let id): "new credentials in oauth_creds.json added as account \(id)"
        case .accountUpdated(let id): "fresher credentials in oauth_creds.json stored for \(id)"
        case .switched(let from, let to, let reason): "active account \(from ?? "none") → \(to): \(reason)"
        case .staleCredentials(let id):
            "oauth_creds.json held an older or already rotated-out token\(id.map { " of \($0)" } ?? ""); not taken in"
        case .reinstated(let id): "another process wrote an already rotated-out token over \(id) in the store; put its live token back"
        case .keptRemoved(let id):
            "another process removed \(id) from the store; its refresh token is kept in qwen-sync-recovered.json (`qwen-sync accounts restore \(id)`)"
        case .mirrored(let id): "mirrored \(id) into oauth_creds.json"
        case .restored(let id): "oauth_creds.json was deleted; restored it from \(id)"
        case .credentialsInvalid(let problem): "oauth_creds.json is unusable (\(problem)); left untouched"
        case .loginNeeded(let reason): "\(reason); run `qwen-sync login`"
        case .refusedUnderConfiguration(let id):
            "\(id)'s refresh token was refused in a way a wrong client id or token endpoint causes too; it stays active. "
                + "Check --oauth-base-url and --oauth-client-id (or their environment variables); a daemon started with another "
                + "configuration, `qwen-sync refresh \(id)` or `qwen-sync accounts reset \(id)` presents it again"
        }
    }
}
