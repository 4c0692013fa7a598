/// `oauth_accounts.json` (schema version 1), read and written losslessly.
///
/// Unknown fields at every level survive a rewrite. Entries the plugin would drop (no id,
/// no valid token) are kept untouched and reported in ``rejectedEntries`` instead of being
/// deleted.
public struct AccountsDocument: Sendable, Equatable {
    /// The top-level object as read, with `accounts` and `activeAccountId` rewritten on encode.
    private var root: JSONObject
    /// Entries in store order; an invalid entry keeps its position as raw JSON.
    private var entries: [Entry]

    enum Entry: Sendable, Equatable {
        case account(StoredAccount)
        case rejected(JSONValue, reason: String)
    }

    /// An entry the plugin would drop, with why.
    public struct RejectedEntry: Sendable, Equatable {
        /// Position in the `accounts` array.
        public let index: Int
        /// The id, if the entry has one.
        public let id: String?
        /// Why the entry is unusable.
        public let reason: String
    }

    /// An empty store.
    public init() {
        root = JSONObject([("version", 1), ("activeAccountId", .null), ("accounts", .array([]))])
        entries = []
    }

    /// Reads a store from its JSON text.
    ///
    /// - Throws: ``AccountsStoreError`` when the text is not a version-1 store.
    public init(bytes: [UInt8]) throws(AccountsStoreError) {
        let value: JSONValue
        do { value = try JSON.parse(bytes) } catch { throw .notJSON(error.description) }
        guard let object = value.objectValue else { throw .malformed("expected a JSON object, found \(value.typeName)") }
        if let version = object["version"], version.int64Value != 1 {
            throw .malformed("unsupported version \(version.serialized(.compact)) (qwen-sync reads version 1)")
        }
        guard let list = object["accounts"]?.arrayValue ?? (object["accounts"] == nil ? [] : nil) else {
            throw .malformed("\"accounts\" must be an array")
        }
        root = object
        entries = list.map { element in
            guard let raw = element.objectValue else { return .rejected(element, reason: "not an object") }
            do throws(CredentialsError) {
                return .account(try StoredAccount(raw: raw))
            } catch {
                return .rejected(element, reason: error.description)
            }
        }
    }

    /// The accounts qwen-sync can use, in store order.
    public var accounts: [StoredAccount] {
        entries.compactMap { if case .account(let account) = $0 { account } else { nil } }
    }

    /// Entries the plugin would drop on its next load.
    public var rejectedEntries: [RejectedEntry] {
        entries.enumerated().compactMap { index, entry in
            guard case .rejected(let value, let reason) = entry else { return nil }
            return RejectedEntry(index: index, id: value.objectValue?["id"]?.stringValue, reason: reason)
        }
    }

    /// The active account's id (`activeAccountId`), when set.
    public var activeAccountID: String? {
        get { root["activeAccountId"]?.stringValue }
        set { root["activeAccountId"] = newValue.map { .string($0) } ?? .null }
    }

    /// The active account, when the id names one.
    public var activeAccount: StoredAccount? { activeAccountID.flatMap { account(id: $0) } }

    /// The account with `id`.
    public func account(id: String) -> StoredAccount? { accounts.first { $0.id == id } }

    /// The account holding the same identity as `token`, else the same refresh token.
    public func account(matching token: OAuthCredentials) -> StoredAccount? {
        if let key = AccountIdentity.key(forAccessToken: token.accessToken),
            let match = accounts.first(where: { $0.identityKey == key })
        {
            return match
        }
        return accounts.first { $0.token.refreshToken == token.refreshToken || $0.token.accessToken == token.accessToken }
    }

    /// Applies `change` to the account with `id`; returns `false` when there is none.
    @discardableResult
    public mutating func update(id: String, _ change: (inout StoredAccount) -> Void) -> Bool {
        guard let index = entries.firstIndex(where: { if case .account(let account) = $0 { account.id == id } else { false } }),
            case .account(var account) = entries[index]
        else { return false }
        change(&account)
        entries[index] = .account(account)
        return true
    }

    /// Appends an account.
    public mutating func add(_ account: StoredAccount) { entries.append(.account(account)) }

    /// Removes the account with `id`; clears `activeAccountId` if it was active.
    @discardableResult
    public mutating func remove(id: String) -> Bool {
        let before = entries.count
        entries.removeAll { if case .account(let account) = $0 { account.id == id } else { false } }
        if activeAccountID == id { activeAccountID = nil }
        return entries.count != before
    }

    /// The next usable account after `id` in store order (round-robin), skipping unhealthy ones.
    public func nextHealthy(after id: String?, nowMs: Int64) -> StoredAccount? {
        let list = accounts
        let start = id.flatMap { current in list.firstIndex { $0.id == current } } ?? -1
        for step in 1...max(list.count, 1) where !list.isEmpty {
            let candidate = list[(start + step + list.count) % list.count]
            if candidate.state(nowMs: nowMs) == .healthy { return candidate }
        }
        return nil
    }

    /// The store as JSON text (two-space indent, unknown fields kept in place).
    public func encoded() -> [UInt8] {
        var object = root
        if object["version"] == nil { object["version"] = 1 }
        if object["activeAccountId"] == nil { object["activeAccountId"] = .null }
        object["accounts"] = .array(
            entries.map { entry in
                switch entry {
                case .account(let account): .object(account.raw)
                case .rejected(let value, _): value
                }
            })
        return JSONValue.object(object).serializedBytes(.pretty)
    }
}

/// Why the accounts store cannot be used. It is then never rewritten.
public enum AccountsStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not JSON at all.
    case notJSON(String)
    /// JSON, but not a version-1 store.
    case malformed(String)
    /// The file itself could not be read.
    case file(FileError)

    public var description: String {
        switch self {
        case .notJSON(let reason): "the accounts store is not valid JSON (\(reason)); it was left untouched"
        case .malformed(let reason): "the accounts store is malformed: \(reason); it was left untouched"
        case .file(let error): error.description
        }
    }
}

extension AccountsDocument {
    /// A top-level field qwen-sync does not interpret (kept across rewrites).
    public func unknownField(_ key: String) -> JSONValue? { root[key] }

    /// Sets a top-level field other than `version`, `activeAccountId` and `accounts`.
    public mutating func setUnknownField(_ key: String, _ value: JSONValue?) {
        precondition(!["version", "activeAccountId", "accounts"].contains(key), "\(key) is managed by AccountsDocument")
        root[key] = value
    }
}
