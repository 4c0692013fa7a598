import QwenControl
import QwenExec
import QwenOAuth
import QwenSyncCore

/// One account as the endpoint sends with it. Its token never leaves this process but in the
/// upstream request's `Authorization` header.
public struct UpstreamAccount: Sendable, Equatable {
    /// The account id.
    public let id: String
    /// The bearer token.
    let accessToken: String
    /// The refresh token seen when this was read: a forced refresh is skipped when it has
    /// rotated since (another request or process already refreshed).
    let refreshToken: String
    /// When the access token expires: it names the token to the daemon without revealing it.
    let expiryDate: Int64
    /// The API base URL (`resource_url` by the INTEROP rule).
    public let baseURL: String

    init(_ account: StoredAccount) {
        id = account.id
        accessToken = account.token.accessToken
        refreshToken = account.token.refreshToken
        expiryDate = account.token.expiryDate
        baseURL = account.token.resourceURL.map(APIBaseURL.normalize) ?? APIBaseURL.fallback
    }
}

/// The accounts store as the endpoint uses it: which accounts to try, refreshes under the locks,
/// and the quota rule. Every call blocks (files, locks, the OAuth server); ``Blocking`` runs them
/// off the server's threads.
public struct AccountPool: Sendable {
    /// How long a token must still live to be sent without a refresh first.
    public static let minimumLifetime = Duration.seconds(60)

    let store: CredentialStore
    let refresher: AccountRefresher
    /// The daemon's control socket, asked first for a forced refresh.
    let socketPath: String

    /// A pool over the files `settings` names, refreshing through the OAuth server it names.
    public init(settings: Settings) {
        store = CredentialStore(settings: settings)
        socketPath = settings.socketPath
        refresher = AccountRefresher(store: store, client: OAuthClient(configuration: OAuthConfiguration(settings: settings)))
    }

    /// The accounts to try, the active one first, then every other healthy one in store order.
    ///
    /// - Throws: ``ServeError/noAccount`` when the store holds no account and `oauth_creds.json`
    ///   no login; a 500 when the files cannot be read.
    public func candidates() throws(ServeError) -> [UpstreamAccount] {
        var state: CredentialState
        do { state = try store.read() } catch { throw ServeError(status: 500, type: "api_error", code: "store_unreadable", message: "\(error)") }
        let nowMs = WallClock.nowMs()
        state.reconcileCredentialsFile(nowMs: nowMs)
        guard !state.accounts.accounts.isEmpty else {
            throw .noAccount
        }
        let active = state.accounts.activeAccountID
        let healthy = state.accounts.accounts.filter { $0.state(nowMs: nowMs) == .healthy }
        return (healthy.filter { $0.id == active } + healthy.filter { $0.id != active }).map(UpstreamAccount.init)
    }

    /// `account` with a token good for at least ``minimumLifetime``: refreshed first under the
    /// locks if needed ("if expiring within", so a refresh by anyone else counts). `nil` when
    /// the account could not be refreshed.
    public func ready(_ account: UpstreamAccount) -> UpstreamAccount? {
        guard let stored = try? store.read().accounts.account(id: account.id) else { return nil }
        if stored.token.expiryDate - WallClock.nowMs() > Self.minimumLifetime.inMilliseconds { return UpstreamAccount(stored) }
        return refreshed(account.id, policy: .ifExpiringWithin(Self.minimumLifetime))
    }

    /// After the upstream refused `account`'s token: one refresh unless the token was replaced
    /// since it was read (then the newer token is used as it is). The running daemon does it
    /// when it answers, joining any refresh of that account already in flight; else it is done
    /// here under the locks.
    public func forceRefresh(_ account: UpstreamAccount) -> UpstreamAccount? {
        switch ControlClient.refresh(accountID: account.id, when: .forced(whileExpiryIs: account.expiryDate), at: socketPath) {
        case .done?: (try? store.read().accounts.account(id: account.id)).map(UpstreamAccount.init)
        case .failed?, .loginRequired?: nil
        case nil: refreshed(account.id, policy: .unlessRotatedSince(refreshToken: account.refreshToken))
        }
    }

    private func refreshed(_ id: String, policy: RefreshPolicy) -> UpstreamAccount? {
        guard let outcome = try? refresher.refresh(accountID: id, policy: policy), outcome.succeeded,
            let stored = try? store.read().accounts.account(id: id)
        else { return nil }
        return UpstreamAccount(stored)
    }

    /// The quota rule, exactly as `exec` and the plugin apply it: the account is marked
    /// exhausted for the cooldown and, if it was active, the next healthy account is made active.
    public func markExhausted(_ account: UpstreamAccount) {
        let broker = StoreAccountBroker(store: store)
        try? broker.markQuotaExhausted(accountID: account.id)
        _ = try? broker.activateHealthyAccount()
    }
}

/// Runs blocking work (files, locks, the OAuth client, the `qwen` CLI) on a thread of its own,
/// so the server's event loops and Swift's cooperative threads never wait on it.
enum Blocking {
    static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            PosixThread.runDetached { continuation.resume(returning: body()) }
        }
    }
}

/// The accounts broker of the `qwen` CLI fallback. The fallback runs when the API refused every
/// account for quota, and the accounts plugin then still runs the CLI (its requests are counted
/// apart): a healthy account is made active when there is one, else the active account is used
/// as it is, unless its login was refused.
struct FallbackAccountBroker: ExecAccountBroker {
    let store: CredentialStore

    func activateHealthyAccount() throws -> ActiveAccount {
        do {
            return try StoreAccountBroker(store: store).activateHealthyAccount()
        } catch let error as NoHealthyAccountError {
            guard let active = try store.read().accounts.activeAccount, active.state(nowMs: WallClock.nowMs()) != .authInvalid else { throw error }
            return ActiveAccount(id: active.id)
        }
    }

    func markQuotaExhausted(accountID: String) throws {
        try StoreAccountBroker(store: store).markQuotaExhausted(accountID: accountID)
    }
}
