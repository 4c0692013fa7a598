import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// The checked-number layer and the write-ahead journal, on real files.
@Suite("Outside numbers and the rotation journal")
struct RotationJournalTests {
    static let extremes = [
        "0", "-1", "1", "9007199254740992", "-9007199254740992", "9007199254740993", "9223372036854775807", "-9223372036854775808",
        "9223372036854775808", "-9223372036854775809", "1e18", "1e400", "-1e400", "1e-400", "1.5", "-0", "\"abc\"", "\"3600\"", "\"NaN\"",
        "\"1e400\"", "null", "true", "[]", "{}",
    ]

    @Test("every extreme expires_in gives a lifetime of 1 s to a year, and a rotated token is never dropped", arguments: extremes)
    func lifetimes(literal: String) throws {
        let body = Array(#"{"refresh_token":"rt-new","access_token":"at","expires_in":\#(literal)}"#.utf8)
        let response = try #require(TokenResponse(body: body))
        #expect(response.refreshToken == "rt-new")
        #expect((1...OutsideNumbers.maximumLifetimeSeconds).contains(response.lifetime.seconds))
        for now in [Int64.min, -1, 0, WallClock.nowMs(), Int64.max] {
            _ = response.expiryDate(receivedAtMs: now)  // saturates, never traps
        }
        let withoutAccess = try #require(TokenResponse(body: Array(#"{"refresh_token":"rt-new","expires_in":\#(literal)}"#.utf8)))
        #expect(withoutAccess.accessToken == nil && withoutAccess.refreshToken == "rt-new")
    }

    @Test("an out-of-range or fractional expiry_date is interpreted within ±2^53 ms and written back as read", arguments: extremes.prefix(16))
    func expiryRoundTrip(literal: String) throws {
        let text = #"{"access_token":"a","token_type":"Bearer","refresh_token":"r","expiry_date":\#(literal)}"#
        let credentials = try CredentialsFile.parse(Array(text.utf8))
        #expect(OutsideNumbers.epochMillisecondsRange.contains(credentials.expiryDate))
        #expect(credentials.json.serialized(.compact).contains(#""expiry_date":\#(literal)"#))
        var changed = credentials
        changed.expiryDate = 5
        #expect(changed.json.serialized(.compact).contains(#""expiry_date":5"#))
    }

    @Test("saturating arithmetic clamps at the ends instead of trapping")
    func saturation() {
        #expect(Int64.max.addingSaturated(1) == .max)
        #expect(Int64.min.addingSaturated(-1) == .min)
        #expect(Int64.min.subtractingSaturated(1) == .min)
        #expect(Int64.max.subtractingSaturated(-1) == .max)
        #expect(Int64(1 << 62).multipliedSaturated(by: 4) == .max)
        #expect(Int64(1 << 62).multipliedSaturated(by: -4) == .min)
        #expect(Int64(-3).multipliedSaturated(by: 4) == -12)
    }

    static func entry(_ account: String, replacing old: String, with new: String?, access: String? = "at-new") -> RotationJournal.Entry {
        var fields: [(String, JSONValue)] = [("expires_in", 3600)]
        if let new { fields.append(("refresh_token", .string(new))) }
        if let access { fields.append(("access_token", .string(access))) }
        return RotationJournal.Entry(
            accountID: account, replaces: TokenLedger.fingerprint(of: old), receivedAtMs: 1_000,
            response: TokenResponse(JSONObject(fields))!)
    }

    @Test("appended entries read back; a torn last line is skipped; compaction empties only what was read")
    func appendReadCompact() async throws {
        try await withTemporaryDirectory { directory in
            let journal = RotationJournal(path: directory.appending(RotationJournal.fileName))
            #expect(try journal.read() == RotationJournal.Contents())
            try journal.append(Self.entry("acct_a", replacing: "rt-a", with: "rt-1"))
            try journal.append(Self.entry("acct_a", replacing: "rt-1", with: "rt-2", access: nil))
            var status = stat()
            #expect(stat(journal.path, &status) == 0 && status.st_mode & 0o777 == 0o600)
            let fd = open(journal.path, O_WRONLY | O_APPEND)
            #expect(write(fd, #"{"account":"acct_a","replaces":"x","resp"#, 38) == 38)
            close(fd)
            let read = try journal.read()
            #expect(
                read.entries == [Self.entry("acct_a", replacing: "rt-a", with: "rt-1"), Self.entry("acct_a", replacing: "rt-1", with: "rt-2", access: nil)])
            try journal.append(Self.entry("acct_b", replacing: "rt-b", with: "rt-3"))
            journal.compact(ifStill: read)
            #expect(try journal.read().entries.count == 3, "an entry appended after the read was compacted away")
            let again = try journal.read()
            do {
                let inFlight = RotationJournal.InFlight(path: journal.path)
                journal.compact(ifStill: again)
                #expect(try journal.read().entries.count == 3, "compacted while a request was in flight")
                #expect(!journal.waitForRequestsInFlight(timeout: .milliseconds(50)))
                withExtendedLifetime(inFlight) {}
            }
            #expect(journal.waitForRequestsInFlight(timeout: .seconds(1)))
            journal.compact(ifStill: again)
            #expect(try journal.read().entries.isEmpty)
        }
    }

    @Test("folding: the replaced token becomes dead, the account takes the new one, twice changes nothing, the rest is kept")
    func fold() throws {
        let token = OAuthCredentials(accessToken: "at-a", refreshToken: "rt-a", expiryDate: 500)
        var accounts = AccountsDocument()
        accounts.add(StoredAccount(id: "acct_a", token: token, nowMs: 0))
        accounts.activeAccountID = "acct_a"
        var state = CredentialState(accounts: accounts, credentials: token)
        let entries = [
            Self.entry("acct_a", replacing: "rt-a", with: "rt-1"),
            Self.entry("acct_a", replacing: "rt-1", with: "rt-2", access: nil),
            Self.entry("acct_gone", replacing: "rt-g", with: "rt-g2"),
        ]
        #expect(state.foldRotations(entries, nowMs: 2_000) == ["acct_a", "acct_a"])
        let account = try #require(state.accounts.account(id: "acct_a"))
        #expect(account.token.refreshToken == "rt-2")
        #expect(account.token.accessToken == "at-new", "an answer without an access token keeps the one before")
        #expect(account.token.expiryDate == 1_000 + 3_600_000)
        #expect(state.credentials?.refreshToken == "rt-2", "the active account's file follows")
        #expect(state.sidecar.ledger.isDead("rt-a") && state.sidecar.ledger.isDead("rt-1"))
        #expect(state.recovered.entries.map(\.token.refreshToken) == ["rt-g2"])
        let before = state.accounts
        #expect(state.foldRotations(entries, nowMs: 3_000).isEmpty)
        #expect(state.accounts == before)
        // A token the store moved past without seeing it die is kept, not adopted.
        state.foldRotations([Self.entry("acct_a", replacing: "rt-x", with: "rt-y")], nowMs: 4_000)
        #expect(state.accounts.account(id: "acct_a")?.token.refreshToken == "rt-2")
        #expect(state.recovered.contains(refreshToken: "rt-y"))
    }

    @Test("a token kept unsaved after a failed write replaces the one it names at the next fold (issue 18 item 4)")
    func unsavedFold() throws {
        let token = OAuthCredentials(accessToken: "at-a", refreshToken: "rt-a", expiryDate: 500)
        var accounts = AccountsDocument()
        accounts.add(StoredAccount(id: "acct_a", token: token, nowMs: 0))
        var recovered = RecoveredTokens()
        recovered.keep(
            .init(
                accountID: "acct_a", label: nil, reason: "unsaved", savedAtMs: 1,
                token: OAuthCredentials(accessToken: "at-1", refreshToken: "rt-1", expiryDate: 9_000), replaces: TokenLedger.fingerprint(of: "rt-a")))
        var state = CredentialState(accounts: accounts, credentials: nil, recovered: RecoveredTokens(bytes: recovered.encoded()))
        #expect(!state.hasUnwrittenRotations)
        #expect(state.foldRotations([], nowMs: 2) == ["acct_a"])
        #expect(state.hasUnwrittenRotations, "the daemon must run a transaction to write the rescued token")
        #expect(state.accounts.account(id: "acct_a")?.token.refreshToken == "rt-1")
        #expect(state.sidecar.ledger.isDead("rt-a"))
        #expect(state.recovered.entries.isEmpty)
    }

    @Test("a journal that cannot be read whole is an error, not empty")
    func unreadableJournal() async throws {
        try await withTemporaryDirectory { directory in
            let journal = RotationJournal(path: directory.appending(RotationJournal.fileName))
            let fd = open(journal.path, O_WRONLY | O_CREAT, 0o600)
            #expect(ftruncate(fd, off_t(RotationJournal.readLimit + 1)) == 0)
            close(fd)
            #expect(throws: FileError.self) { try journal.read() }
        }
    }
}
