/// Which files changed since the last sync, as seen by the watcher.
public struct SyncTrigger: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// `oauth_creds.json` was written or replaced by someone else.
    public static let credentialsChanged = SyncTrigger(rawValue: 1)
    /// `oauth_creds.json` was deleted or moved away.
    public static let credentialsDeleted = SyncTrigger(rawValue: 2)
    /// The accounts store was written, replaced or deleted.
    public static let accountsChanged = SyncTrigger(rawValue: 4)
    /// A watched directory was created again after it had been removed.
    public static let directoryReturned = SyncTrigger(rawValue: 8)
    /// Start-up, directory re-created, or a cooldown ended: look at everything.
    public static let fullScan: SyncTrigger = [.credentialsChanged, .accountsChanged]
}
