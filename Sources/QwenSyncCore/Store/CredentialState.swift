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

    /// The label of an account, else the email of its token, else nil.
    public func displayLabel(of account: StoredAccount) -> String? {
        sidecar.label(of: account.id) ?? AccountIdentity.email(forAccessToken: account.token.accessToken)
    }

    /// Finds an account by id, label, or a unique id prefix.
    public func resolveAccount(_ reference: String) -> StoredAccount? {
        let list = accounts.accounts
        if let exact = list.first(where: { $0.id == reference }) { return exact }
        if let labelled = list.first(where: { sidecar.label(of: $0.id) == reference }) { return labelled }
        if let byEmail = list.first(where: { AccountIdentity.email(forAccessToken: $0.token.accessToken) == reference }) { return byEmail }
        let prefixed = list.filter { $0.id.hasPrefix(reference) }
        return prefixed.count == 1 ? prefixed[0] : nil
    }
}
