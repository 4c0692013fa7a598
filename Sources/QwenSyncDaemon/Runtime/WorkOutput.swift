import QwenOAuth
import QwenSyncCore

/// What a job on the daemon's worker thread produced.
enum WorkOutput: Sendable {
    /// A refresh of `accountID` ended, with the state its transaction wrote.
    case refreshed(accountID: String, Result<(outcome: RefreshOutcome, state: CredentialState), StoreError>)
    /// A sync transaction ended.
    case synced(Result<SyncResult, StoreError>)
}

/// The events of a sync transaction and the state it left.
struct SyncResult: Sendable {
    let events: [SyncEvent]
    let state: CredentialState
}
