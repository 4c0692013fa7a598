import QwenOAuth
import QwenSyncCore

/// What a job on the daemon's worker thread produced.
enum WorkOutput: Sendable {
    /// A refresh of `accountID` ended.
    case refreshed(accountID: String, Result<RefreshOutcome, StoreError>)
    /// A sync transaction ended.
    case synced(Result<SyncResult, StoreError>)
}

/// The events of a sync transaction and the state it left.
struct SyncResult: Sendable {
    let events: [SyncEvent]
    let state: CredentialState
}
