/// What became of a refresh token qwen-sync has seen.
public enum TokenFate: String, Sendable, Equatable {
    /// The account's token as last stored.
    case current
    /// Exchanged at the server for a new one: dead, never presented again.
    case rotated
    /// The server refused it: dead, never presented again.
    case refused
    /// Replaced by a newer token that a peer wrote; probably dead, but kept in
    /// `qwen-sync-recovered.json` because nobody saw it die.
    case superseded

    /// Whether the server is known to reject this token.
    public var isDead: Bool { self == .rotated || self == .refused }
}

/// The lineage ledger: which account every refresh token seen belongs to, and what became of
/// it. Tokens are kept as fingerprints (a SHA-256 prefix), never in clear.
///
/// Tokens carry no reliable identity (an access token need not be a JWT with claims, and two
/// snapshots of one account after a refresh share nothing), so history is what ties a token to
/// its account; see README.md, "Which account a token belongs to".
public struct TokenLedger: Sendable, Equatable {
    /// One token's record.
    public struct Entry: Sendable, Equatable {
        /// The token's fingerprint (``TokenLedger/fingerprint(of:)``).
        public var fingerprint: String
        /// The account it belongs to.
        public var accountID: String
        /// What became of it.
        public var fate: TokenFate
        /// When that was recorded (ms).
        public var atMs: Int64
    }

    /// Records, oldest first.
    public private(set) var entries: [Entry] = []
    /// The account whose token qwen-sync last wrote into, or found in, `oauth_creds.json`.
    public var credentialsAccountID: String?

    /// How many records are kept per account: 16 refreshes of a 1 h token take 10 h; dead
    /// records are dropped last.
    static let entriesPerAccount = 64

    /// An empty ledger.
    public init() {}

    /// The fingerprint of a refresh token: the first 32 hex digits of its SHA-256.
    public static func fingerprint(of refreshToken: String) -> String {
        String(SHA256.hex(refreshToken).prefix(32))
    }

    /// The record of `refreshToken`, if it was ever seen.
    public func entry(for refreshToken: String) -> Entry? {
        let print = Self.fingerprint(of: refreshToken)
        return entries.last { $0.fingerprint == print }
    }

    /// Whether `refreshToken` is known to be rejected by the server.
    public func isDead(_ refreshToken: String) -> Bool { entry(for: refreshToken)?.fate.isDead ?? false }

    /// Records `fate` for `refreshToken` of `accountID`. A dead token never comes back to life,
    /// and an account has one current token: recording a new current one marks the previous
    /// current one superseded (unless it was already known dead).
    public mutating func record(_ refreshToken: String, of accountID: String, fate: TokenFate, nowMs: Int64) {
        record(fingerprint: Self.fingerprint(of: refreshToken), of: accountID, fate: fate, nowMs: nowMs)
    }

    /// ``record(_:of:fate:nowMs:)`` for a token known only by its fingerprint (a
    /// ``RotationJournal`` entry's replaced token).
    public mutating func record(fingerprint print: String, of accountID: String, fate: TokenFate, nowMs: Int64) {
        if let index = entries.lastIndex(where: { $0.fingerprint == print }) {
            if entries[index].fate.isDead && !fate.isDead { return }
            if entries[index].fate == fate && entries[index].accountID == accountID { return }
            entries.remove(at: index)
        }
        if fate == .current {
            for index in entries.indices where entries[index].accountID == accountID && entries[index].fate == .current {
                entries[index].fate = .superseded
                entries[index].atMs = nowMs
            }
        }
        entries.append(Entry(fingerprint: print, accountID: accountID, fate: fate, atMs: nowMs))
        // Beyond the cap the oldest superseded records go first: a dead token must stay known
        // dead for as long as possible (a peer may write it back hours later).
        let mine = entries.indices.filter { entries[$0].accountID == accountID }
        if mine.count > Self.entriesPerAccount {
            let superseded = mine.filter { entries[$0].fate == .superseded }
            let dead = mine.filter { entries[$0].fate.isDead }
            let drop = Set((superseded + dead).prefix(mine.count - Self.entriesPerAccount))
            entries = entries.enumerated().filter { !drop.contains($0.offset) }.map(\.element)
        }
    }

    /// Forgets the records of accounts not in `accountIDs` once they are older than `retainMs`
    /// (a removed account's history still protects against its dead tokens for a while).
    public mutating func prune(keeping accountIDs: Set<String>, nowMs: Int64, retainMs: Int64 = 30 * 86_400_000) {
        entries.removeAll { !accountIDs.contains($0.accountID) && nowMs - $0.atMs > retainMs }
    }
}

extension TokenLedger {
    /// Reads the ledger from its JSON form in `qwen-sync-accounts.json`; what is unreadable is skipped.
    init(json: JSONObject?) {
        guard let json else { return }
        credentialsAccountID = json["credentials_account"]?.stringValue
        for value in json["tokens"]?.arrayValue ?? [] {
            guard let object = value.objectValue,
                let print = object["fingerprint"]?.stringValue,
                let account = object["account"]?.stringValue,
                let fate = object["fate"]?.stringValue.flatMap(TokenFate.init(rawValue:))
            else { continue }
            entries.append(Entry(fingerprint: print, accountID: account, fate: fate, atMs: object["at_ms"]?.epochMilliseconds ?? 0))
        }
    }

    /// The JSON form.
    var json: JSONValue {
        .object(
            JSONObject([
                ("credentials_account", .optionalString(credentialsAccountID)),
                (
                    "tokens",
                    .array(
                        entries.map { entry in
                            .object(
                                JSONObject([
                                    ("fingerprint", .string(entry.fingerprint)),
                                    ("account", .string(entry.accountID)),
                                    ("fate", .string(entry.fate.rawValue)),
                                    ("at_ms", .int(entry.atMs)),
                                ]))
                        })
                ),
            ]))
    }
}
