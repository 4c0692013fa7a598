/// `qwen-sync-recovered.json` (0600): refresh tokens that left the store and
/// `oauth_creds.json` without being known dead — a removed account, a token a peer's newer
/// one replaced, a stale copy a peer wrote back — so that no login that may still work is
/// ever destroyed. `qwen-sync accounts restore` brings one back.
///
/// It holds tokens in clear, like the files it protects, and only what would otherwise be lost.
public struct RecoveredTokens: Sendable, Equatable {
    /// One kept token.
    public struct Entry: Sendable, Equatable {
        /// The account it belonged to.
        public var accountID: String
        /// That account's label, when it had one.
        public var label: String?
        /// Why it was kept (`removed`, `superseded`, `displaced`, `orphaned`).
        public var reason: String
        /// When it was kept (ms).
        public var savedAtMs: Int64
        /// The tokens.
        public var token: OAuthCredentials
        /// The account's whole store entry, for a removed account (restored as it was).
        public var storeEntry: JSONObject?
        /// For new tokens that could not be stored (`unsaved`): the fingerprint of the token they
        /// replace. The next transaction puts them in its place
        /// (``CredentialState/foldRotations(_:nowMs:)``), so the replaced one is never presented.
        public var replaces: String?

        /// An entry with these values.
        public init(
            accountID: String, label: String?, reason: String, savedAtMs: Int64, token: OAuthCredentials, storeEntry: JSONObject? = nil,
            replaces: String? = nil
        ) {
            self.accountID = accountID
            self.label = label
            self.reason = reason
            self.savedAtMs = savedAtMs
            self.token = token
            self.storeEntry = storeEntry
            self.replaces = replaces
        }
    }

    /// Kept tokens, oldest first.
    public private(set) var entries: [Entry] = []

    /// At most this many entries are kept; beyond it the oldest superseded ones go first,
    /// then the oldest of any kind.
    public static let capacity = 64

    /// Nothing kept.
    public init() {}

    /// Keeps `entry` unless the same refresh token is already kept.
    public mutating func keep(_ entry: Entry) {
        guard !contains(refreshToken: entry.token.refreshToken) else { return }
        entries.append(entry)
        while entries.count > Self.capacity {
            let index = entries.firstIndex { $0.reason == "superseded" } ?? 0
            entries.remove(at: index)
        }
    }

    /// Whether `refreshToken` is kept here.
    public func contains(refreshToken: String) -> Bool { entries.contains { $0.token.refreshToken == refreshToken } }

    /// Removes and returns the newest entry of `accountID`.
    public mutating func take(accountID: String) -> Entry? {
        guard let index = entries.lastIndex(where: { $0.accountID == accountID }) else { return nil }
        return entries.remove(at: index)
    }

    /// Drops every entry holding `refreshToken` (it is back in use, or known dead).
    public mutating func forget(refreshToken: String) {
        entries.removeAll { $0.token.refreshToken == refreshToken }
    }
}

extension RecoveredTokens {
    /// Reads the file's text; entries that cannot be read are skipped (and so not rewritten
    /// unless something is kept or taken).
    public init(bytes: [UInt8]) {
        guard let root = (try? JSON.parse(bytes))?.objectValue else { return }
        for value in root["entries"]?.arrayValue ?? [] {
            guard let object = value.objectValue,
                let accountID = object["account_id"]?.stringValue,
                let tokenJSON = object["token"],
                let token = try? OAuthCredentials(json: tokenJSON)
            else { continue }
            entries.append(
                Entry(
                    accountID: accountID,
                    label: object["label"]?.stringValue,
                    reason: object["reason"]?.stringValue ?? "kept",
                    savedAtMs: object["saved_at_ms"]?.epochMilliseconds ?? 0,
                    token: token,
                    storeEntry: object["store_entry"]?.objectValue,
                    replaces: object["replaces"]?.stringValue
                ))
        }
    }

    /// The file's text.
    public func encoded() -> [UInt8] {
        let list: [JSONValue] = entries.map { entry in
            var object = JSONObject()
            object["account_id"] = .string(entry.accountID)
            object["label"] = .optionalString(entry.label)
            object["reason"] = .string(entry.reason)
            object["saved_at_ms"] = .int(entry.savedAtMs)
            object["token"] = entry.token.json
            if let storeEntry = entry.storeEntry { object["store_entry"] = .object(storeEntry) }
            if let replaces = entry.replaces { object["replaces"] = .string(replaces) }
            return .object(object)
        }
        return JSONValue.object(JSONObject([("version", 1), ("entries", .array(list))])).serializedBytes(.pretty)
    }
}
