/// What became of a refresh token qwen-sync has seen.
public enum TokenFate: String, Sendable, Equatable {
    /// The account's token as last stored.
    case current
    /// Exchanged at the server for a new one: dead, never presented again.
    case rotated
    /// The server refused it. The refusal is evidence, not a verdict (``RefusalEvidence``): the
    /// token is kept and presented again when the configuration differs from the one it was
    /// refused under, on `accounts reset` and on an explicit `refresh`, never on a timer.
    case refused
    /// Replaced by a newer token that a peer wrote; probably dead, but kept in
    /// `qwen-sync-recovered.json` because nobody saw it die.
    case superseded

    /// Whether the server is known to reject this token.
    public var isDead: Bool { self == .rotated || self == .refused }
}

/// The configuration a refresh is sent under: the token endpoint and the client id.
public struct RefreshConfiguration: Sendable, Equatable {
    /// The token endpoint's URL.
    public var tokenURL: String
    /// The client id's fingerprint (``TokenLedger/fingerprint(of:)``, 12 hex digits).
    public var clientIDFingerprint: String

    /// The configuration of `tokenURL` and `clientID`.
    public init(tokenURL: String, clientID: String) {
        self.init(tokenURL: tokenURL, clientIDFingerprint: String(TokenLedger.fingerprint(of: clientID).prefix(12)))
    }

    /// A configuration as recorded.
    public init(tokenURL: String, clientIDFingerprint: String) {
        self.tokenURL = tokenURL
        self.clientIDFingerprint = clientIDFingerprint
    }
}

/// What a refusal of a refresh token was measured under and what it looked like.
///
/// The server answers a dead token with `400 invalid_request` as well as `invalid_grant`, and a
/// wrong client id, endpoint or a proxy in between answer 400 too: the answer alone cannot tell
/// a dead login from a wrong configuration. So the refusal is kept as evidence with the token.
public struct RefusalEvidence: Sendable, Equatable {
    /// What the body of the refusal was.
    public enum BodyKind: String, Sendable, Equatable {
        /// A JSON object.
        case json
        /// An HTML page (a proxy or gateway, not the OAuth server).
        case html
        /// Other text.
        case text
        /// Nothing.
        case empty

        /// The kind of `body`.
        public init(of body: [UInt8]) {
            let text = String(decoding: body, as: UTF8.self).trimmingASCIIWhitespace()
            if text.isEmpty {
                self = .empty
            } else if (try? JSON.parse(body).objectValue) != nil {
                self = .json
            } else {
                self = text.hasPrefix("<") ? .html : .text
            }
        }
    }

    /// The configuration the token was presented under.
    public var configuration: RefreshConfiguration
    /// The HTTP status.
    public var status: Int
    /// The OAuth `error` code, if the body had one.
    public var errorCode: String?
    /// What the body was.
    public var bodyKind: BodyKind

    /// Evidence of a refusal.
    public init(configuration: RefreshConfiguration, status: Int, errorCode: String?, bodyKind: BodyKind) {
        self.configuration = configuration
        self.status = status
        self.errorCode = errorCode
        self.bodyKind = bodyKind
    }

    /// Whether the answer is about the token itself (`invalid_grant` in a JSON body) rather
    /// than possibly about the configuration (`invalid_request`, `invalid_client`, a 400 or
    /// 401 without a code, a body that is not JSON). Only such a refusal moves the active
    /// account to another one.
    public var concernsToken: Bool { errorCode == "invalid_grant" && bodyKind == .json }

    /// Whether `other` is a refusal of the same kind under the same configuration.
    public func sameWay(as other: RefusalEvidence) -> Bool { self == other }
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
        /// For a refused token: what the refusal was measured under (`nil` when recorded by
        /// a version that kept no evidence).
        public var refusal: RefusalEvidence?
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

    /// The refusal recorded for `refreshToken`, if its latest record is a refusal; the
    /// evidence is `nil` for a refusal recorded without it.
    public func refusal(of refreshToken: String) -> (evidence: RefusalEvidence?, atMs: Int64)? {
        guard let entry = entry(for: refreshToken), entry.fate == .refused else { return nil }
        return (entry.refusal, entry.atMs)
    }

    /// Whether `refreshToken` must not be sent under `configuration`: a token rotated out
    /// never is (a server with reuse detection may revoke the whole login); a refused one is
    /// withheld only under the configuration it was refused under, unless `explicitly` asked
    /// (an explicit `refresh`).
    public func withholds(_ refreshToken: String, under configuration: RefreshConfiguration, explicitly: Bool) -> Bool {
        guard let entry = entry(for: refreshToken) else { return false }
        switch entry.fate {
        case .rotated: return true
        case .refused: return !explicitly && entry.refusal?.configuration == configuration
        case .current, .superseded: return false
        }
    }

    /// Takes back the refusal of `refreshToken` (on `accounts reset`, or once the server
    /// accepted it after all): it is `accountID`'s current token again. A rotated-out token
    /// stays dead.
    public mutating func withdrawRefusal(of refreshToken: String, accountID: String, nowMs: Int64) {
        let print = Self.fingerprint(of: refreshToken)
        guard let index = entries.lastIndex(where: { $0.fingerprint == print }), entries[index].fate == .refused else { return }
        entries.remove(at: index)
        record(refreshToken, of: accountID, fate: .current, nowMs: nowMs)
    }

    /// Records `fate` for `refreshToken` of `accountID`. A dead token never comes back to life,
    /// and an account has one current token: recording a new current one marks the previous
    /// current one superseded (unless it was already known dead). A refusal carries its
    /// `evidence`; a second refusal replaces the evidence of the first.
    public mutating func record(_ refreshToken: String, of accountID: String, fate: TokenFate, evidence: RefusalEvidence? = nil, nowMs: Int64) {
        record(fingerprint: Self.fingerprint(of: refreshToken), of: accountID, fate: fate, evidence: evidence, nowMs: nowMs)
    }

    /// ``record(_:of:fate:evidence:nowMs:)`` for a token known only by its fingerprint (a
    /// ``RotationJournal`` entry's replaced token).
    public mutating func record(fingerprint print: String, of accountID: String, fate: TokenFate, evidence: RefusalEvidence? = nil, nowMs: Int64) {
        if let index = entries.lastIndex(where: { $0.fingerprint == print }) {
            if entries[index].fate.isDead && !fate.isDead { return }
            if entries[index].fate == fate && entries[index].accountID == accountID && fate != .refused { return }
            entries.remove(at: index)
        }
        if fate == .current {
            for index in entries.indices where entries[index].accountID == accountID && entries[index].fate == .current {
                entries[index].fate = .superseded
                entries[index].atMs = nowMs
            }
        }
        entries.append(Entry(fingerprint: print, accountID: accountID, fate: fate, atMs: nowMs, refusal: fate == .refused ? evidence : nil))
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
            let refusal = object["refusal"]?.objectValue.flatMap(RefusalEvidence.init(json:))
            entries.append(Entry(fingerprint: print, accountID: account, fate: fate, atMs: object["at_ms"]?.epochMilliseconds ?? 0, refusal: refusal))
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
                            var object = JSONObject([
                                ("fingerprint", .string(entry.fingerprint)),
                                ("account", .string(entry.accountID)),
                                ("fate", .string(entry.fate.rawValue)),
                                ("at_ms", .int(entry.atMs)),
                            ])
                            if let refusal = entry.refusal { object["refusal"] = refusal.json }
                            return .object(object)
                        })
                ),
            ]))
    }
}

extension RefusalEvidence {
    /// Reads the evidence from its JSON form; `nil` when a field is missing.
    init?(json: JSONObject) {
        guard let url = json["token_url"]?.stringValue, let client = json["client_id"]?.stringValue,
            let status = json["status"]?.int64Value, let body = json["body"]?.stringValue.flatMap(BodyKind.init(rawValue:))
        else { return nil }
        self.init(
            configuration: RefreshConfiguration(tokenURL: url, clientIDFingerprint: client), status: Int(status),
            errorCode: json["error"]?.stringValue, bodyKind: body)
    }

    /// The JSON form, in the ledger entry's `refusal`.
    var json: JSONValue {
        .object(
            JSONObject([
                ("token_url", .string(configuration.tokenURL)),
                ("client_id", .string(configuration.clientIDFingerprint)),
                ("status", .int(Int64(status))),
                ("error", .optionalString(errorCode)),
                ("body", .string(bodyKind.rawValue)),
            ]))
    }
}
