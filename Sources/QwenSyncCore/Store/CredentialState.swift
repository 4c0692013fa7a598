/// Everything qwen-sync knows from the files at one moment: the accounts store, the active
/// credentials and its own notes. A transaction changes a copy; what differs is written back.
public struct CredentialState: Sendable {
    /// The accounts store (empty when the file does not exist).
    public var accounts: AccountsDocument
    /// The credentials in `oauth_creds.json`; set to write new ones (the file is never deleted).
    public var credentials: OAuthCredentials? {
        didSet { credentialsAdoption = nil }
    }
    /// Why `oauth_creds.json` could not be used, when it exists but is invalid.
    public let credentialsProblem: String?
    /// Whether `oauth_creds.json` existed when read.
    public let credentialsFileExists: Bool
    /// qwen-sync's labels, history and token ledger.
    public var sidecar: SidecarDocument
    /// Tokens kept because they left the files without being known dead.
    public var recovered: RecoveredTokens
    /// What ``reconcileCredentialsFile(nowMs:)`` did, once it ran.
    public internal(set) var credentialsAdoption: CredentialsAdoption?
    /// The write-ahead as last folded in (``foldRotationJournal(_:nowMs:)``); emptied after the
    /// store is written when it has not grown since.
    public internal(set) var foldedJournal = RotationJournal.Contents()
    /// Whether a fold put a token kept `unsaved` in `qwen-sync-recovered.json` in place.
    var foldedRescuedTokens = false

    /// A state from parts (for tests and pure decision logic).
    public init(
        accounts: AccountsDocument, credentials: OAuthCredentials?, credentialsProblem: String? = nil,
        credentialsFileExists: Bool? = nil, sidecar: SidecarDocument = SidecarDocument(), recovered: RecoveredTokens = RecoveredTokens()
    ) {
        self.accounts = accounts
        self.credentials = credentials
        self.credentialsProblem = credentialsProblem
        self.credentialsFileExists = credentialsFileExists ?? (credentials != nil)
        self.sidecar = sidecar
        self.recovered = recovered
    }

    /// The user-chosen label of an account, if any (shown escaped: labels written by older
    /// versions may hold control characters).
    public func displayLabel(of account: StoredAccount) -> String? {
        sidecar.label(of: account.id)
    }

    /// Finds the one account `reference` names: an exact id; else a label, an email or the
    /// identity as shown (`j…@example.com`); else an id prefix. A reference that names several
    /// accounts at the same step is ambiguous, never "the first match".
    public func lookUpAccount(_ reference: String) -> AccountLookup {
        let list = accounts.accounts
        guard !reference.isEmpty else { return .notFound }
        if let exact = list.first(where: { $0.id == reference }) { return .found(exact) }
        let named = list.filter { account in
            sidecar.label(of: account.id) == reference || account.email == reference || account.shownIdentity == reference
        }
        if !named.isEmpty { return named.count == 1 ? .found(named[0]) : .ambiguous(named) }
        let prefixed = list.filter { $0.id.hasPrefix(reference) }
        if prefixed.isEmpty { return .notFound }
        return prefixed.count == 1 ? .found(prefixed[0]) : .ambiguous(prefixed)
    }
}

/// What ``CredentialState/lookUpAccount(_:)`` found.
public enum AccountLookup: Sendable {
    /// Exactly one account.
    case found(StoredAccount)
    /// No account.
    case notFound
    /// Several accounts; the reference must be more precise.
    case ambiguous([StoredAccount])
}
