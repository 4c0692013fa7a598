/// qwen-sync's own data in `qwen-sync-accounts.json`: labels, refresh history and the token
/// lineage ledger.
///
/// The accounts plugin rewrites `oauth_accounts.json` and drops what it does not know, so
/// nothing that must survive lives there. This file holds no tokens, only fingerprints.
public struct SidecarDocument: Sendable, Equatable {
    /// What qwen-sync remembers about one account.
    public struct AccountNotes: Sendable, Equatable {
        /// A user-chosen name (`login --label`).
        public var label: String?
        /// When the last refresh attempt ended (ms), and how.
        public var lastRefreshAtMs: Int64?
        /// `ok`, or a short reason.
        public var lastRefreshResult: String?

        /// Empty notes.
        public init(label: String? = nil, lastRefreshAtMs: Int64? = nil, lastRefreshResult: String? = nil) {
            self.label = label
            self.lastRefreshAtMs = lastRefreshAtMs
            self.lastRefreshResult = lastRefreshResult
        }
    }

    /// Notes by account id.
    public var notes: [String: AccountNotes]
    /// Which account each refresh token belongs to, and what became of it.
    public var ledger: TokenLedger

    /// No notes.
    public init() {
        notes = [:]
        ledger = TokenLedger()
    }

    /// Reads the file's text; unreadable content yields empty notes (the file is ours and holds
    /// nothing irreplaceable).
    public init(bytes: [UInt8]) {
        notes = [:]
        let root = (try? JSON.parse(bytes))?.objectValue
        ledger = TokenLedger(json: root?["ledger"]?.objectValue)
        guard let accounts = root?["accounts"]?.objectValue else { return }
        for (id, value) in accounts {
            guard let object = value.objectValue else { continue }
            notes[id] = AccountNotes(
                label: object["label"]?.stringValue,
                lastRefreshAtMs: object["last_refresh_at_ms"]?.epochMilliseconds,
                lastRefreshResult: object["last_refresh_result"]?.stringValue
            )
        }
    }

    /// The label of `id`, if any.
    public func label(of id: String) -> String? { notes[id]?.label }

    /// The file's text, accounts sorted by id.
    public func encoded() -> [UInt8] {
        var accounts = JSONObject()
        for id in notes.keys.sorted() {
            guard let note = notes[id] else { continue }
            var object = JSONObject()
            if let label = note.label { object["label"] = .string(label) }
            if let at = note.lastRefreshAtMs { object["last_refresh_at_ms"] = .int(at) }
            if let result = note.lastRefreshResult { object["last_refresh_result"] = .string(result) }
            accounts[id] = .object(object)
        }
        return JSONValue.object(JSONObject([("version", 1), ("accounts", .object(accounts)), ("ledger", ledger.json)])).serializedBytes(.pretty)
    }
}
