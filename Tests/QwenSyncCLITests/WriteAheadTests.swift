import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// Issue 20, items 1, 2, 4 and 5, with real processes and the stand-in server: no number from
/// outside crashes a command, and no rotated refresh token is lost or its predecessor presented
/// again, whatever the answer holds or whenever the command is killed.
@Suite("write-ahead of rotated tokens and checked numbers, end to end")
struct WriteAheadTests {
    typealias Fixture = RefreshCommandTests.Fixture

    /// The account's refresh token is the one the server holds live, and no superseded token
    /// was ever presented.
    static func expectTokenKept(_ fixture: Fixture, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let live = try fixture.server.liveRefreshTokens(sub: "user-1")
        let stored = try fixture.state().accounts.accounts.map(\.token.refreshToken)
        #expect(live.count == 1 && stored == live, "stored \(stored.count) token(s), the server holds \(live.count)", sourceLocation: sourceLocation)
        #expect(try fixture.server.counter("dead_token_reuse") == 0, "a superseded token was presented", sourceLocation: sourceLocation)
        #expect(try fixture.state().accounts.accounts.allSatisfy { $0.lastErrorCode == nil }, sourceLocation: sourceLocation)
    }

    @Test(
        "a rotating answer with an unusable field keeps its new refresh token (issue 20 item 1)",
        arguments: [
            (#"{"expires_in": 1e18}"#, Int32(0)),
            (#"{"expires_in": 1e400}"#, 0),
            (#"{"expires_in": -1e400}"#, 0),
            (#"{"expires_in": 9223372036854775807}"#, 0),
            (#"{"expires_in": -9223372036854775808}"#, 0),
            (#"{"expires_in": 9007199254740993}"#, 0),
            (#"{"expires_in": 0}"#, 0),
            (#"{"expires_in": -1}"#, 0),
            (#"{"expires_in": "abc"}"#, 0),
            (#"{"expires_in": []}"#, 0),
            (#"{"access_token": null}"#, 1),
            (#"{"access_token": 7, "expires_in": "1e400"}"#, 1),
        ])
    func unusableAnswer(fields: String, exitCode: Int32) async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        _ = try fixture.server.configure(["faults": [["kind": "tamper", "fields": try JSON.parse(fields)]]])
        let first = try await fixture.run(["refresh"])
        #expect(first.exitCode == exitCode, "\(first.standardError)")
        RefreshCommandTests.expectNoSecrets(first)
        try Self.expectTokenKept(fixture)
        let expiry = try #require(try fixture.state().accounts.accounts.first).token.expiryDate
        #expect(expiry <= WallClock.nowMs() + OutsideNumbers.maximumLifetimeSeconds * 1000)
        // The kept token works: the next refresh presents it, never the one it replaced.
        let second = try await fixture.run(["refresh"])
        #expect(second.exitCode == 0, "\(second.standardError)")
        try Self.expectTokenKept(fixture)
        #expect(try fixture.server.counter("successful_refreshes") == 2)
    }

    @Test(
        "an extreme expiry_date in the store or oauth_creds.json crashes no command and is written back as it was (issue 20 item 2)",
        arguments: [
            "-9223372036854775808", "9223372036854775807", "9223372036854775808", "-9223372036854775809", "1e400", "-1e400", "1e18",
            "0", "-1", "9007199254740992", "-9007199254740993", "1.5", "\"abc\"", "null",
        ])
    func extremeExpiry(literal: String) async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        let settings = try Settings.resolve(qwenDir: fixture.qwenDir, environment: ProcessEnvironment([:]))
        let value = try JSON.parse(literal)
        // A second, inactive account whose times are the extreme value, as a peer wrote them.
        let storeContents = try #require(try SecureFile.read(settings.accountsPath))
        var store = try #require(try JSON.parse(storeContents.bytes).objectValue)
        let entry: JSONValue = [
            "id": "acct_extreme_00000000",
            "token": ["access_token": "at-SECRET-x", "token_type": "Bearer", "refresh_token": "rt-SECRET-x", "expiry_date": value],
            "exhaustedUntil": value, "createdAt": value, "updatedAt": 0,
        ]
        store["accounts"] = .array((store["accounts"]?.arrayValue ?? []) + [entry])
        try FileTools.write(settings.accountsPath, JSONValue.object(store).serialized(.pretty))
        // And oauth_creds.json with the same value.
        let fileContents = try #require(try SecureFile.read(settings.credentialsPath))
        var file = try #require(try JSON.parse(fileContents.bytes).objectValue)
        file["expiry_date"] = value
        let credentials = JSONValue.object(file).serialized(.pretty)
        try FileTools.write(settings.credentialsPath, credentials)

        for arguments in [["accounts", "list"], ["accounts", "list", "--json"], ["status"], ["accounts", "restore"], ["doctor"]] {
            let outcome = try await fixture.run(arguments)
            #expect(outcome.exitCode < 64, "\(arguments) died: \(outcome.exitCode) \(outcome.standardError)")
            RefreshCommandTests.expectNoSecrets(outcome)
        }
        #expect(FileTools.text(settings.credentialsPath) == credentials, "a read-only command rewrote oauth_creds.json")
        let refreshed = try await fixture.run(["refresh", "main"])
        #expect(refreshed.exitCode == 0, "\(refreshed.standardError)")
        if literal != "\"abc\"" && literal != "null" {
            let written = FileTools.text(settings.accountsPath) ?? ""
            #expect(written.contains("\"expiry_date\": \(literal)"), "the peer's value was not kept as written")
        }
        #expect(try fixture.server.counter("dead_token_reuse") == 0)
    }

    @Test("kill -9 of qwen-sync refresh at evenly spread instants of a slow rotating refresh loses no token (issue 20 item 4)")
    func killedRefresh() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        let journal = RotationJournal(path: fixture.qwenDir + "/" + RotationJournal.fileName)
        let answerMs = 1_500
        let instants = 6
        for index in 0..<instants {
            _ = try fixture.server.configure(["faults": [["kind": "delay", "delay_ms": .int(Int64(answerMs))]]])
            let process = try ChildProcess(BuiltProducts.path(of: "qwen-sync"), ["refresh"], environment: fixture.environment)
            let killAtMs = WallClock.monotonicMs() + Int64(index * (answerMs + 500) / (instants - 1))
            _ = await eventually(timeoutMs: 5_000) { WallClock.monotonicMs() >= killAtMs || !process.isRunning }
            process.signal(SIGKILL)
            _ = await process.waitForExit()
            // An orphaned request finishes on its own; the next command waits for it too, but
            // the store is checked here only once it has.
            #expect(journal.waitForRequestsInFlight(timeout: .seconds(15)))
            let next = try await fixture.run(["refresh"])
            #expect(next.exitCode == 0, "instant \(index): \(next.standardError)")
            try Self.expectTokenKept(fixture)
        }
        #expect(try fixture.server.counter("dead_token_reuse") == 0)
    }

    @Test("a recovered file past 1 MiB is read whole, and one that cannot be read is never written over (issue 20 item 5)")
    func bigRecoveredFile() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        let settings = try Settings.resolve(qwenDir: fixture.qwenDir, environment: ProcessEnvironment([:]))
        var recovered = RecoveredTokens()
        let padding = String(repeating: "p", count: 300_000)
        for index in 0..<8 {
            recovered.keep(
                .init(
                    accountID: "acct_kept_\(index)", label: nil, reason: "removed", savedAtMs: WallClock.nowMs(),
                    token: OAuthCredentials(accessToken: "at-SECRET-\(index)", refreshToken: "rt-SECRET-\(index)", expiryDate: WallClock.nowMs()),
                    storeEntry: JSONObject([("id", .string("acct_kept_\(index)")), ("big", .string(padding))])))
        }
        try SecureFile.replace(settings.recoveredPath, with: recovered.encoded())
        #expect(FileIdentity.of(settings.recoveredPath).map { $0.size > 2 << 20 } == true)
        let listed = try await fixture.run(["accounts", "restore"])
        #expect(listed.exitCode == 0, "\(listed.standardError)")
        #expect(listed.standardOutput.contains("acct_kept_7"), "\(listed.standardOutput)")
        let restored = try await fixture.run(["accounts", "restore", "acct_kept_3"])
        #expect(restored.exitCode == 0, "\(restored.standardError)")
        let afterContents = try #require(try SecureFile.read(settings.recoveredPath, limit: 64 << 20))
        let after = RecoveredTokens(bytes: afterContents.bytes)
        #expect(after.entries.count == 7)
        let live = try fixture.server.liveRefreshTokens(sub: "user-1")

        // Past any limit (a sparse 80 MiB file): an error, and the file is left as it was.
        let fd = open(settings.recoveredPath, O_WRONLY | O_TRUNC)
        #expect(ftruncate(fd, 80 << 20) == 0)
        close(fd)
        let identity = FileIdentity.of(settings.recoveredPath)
        let removal = try await fixture.run(["accounts", "remove", "main", "--yes"])
        #expect(removal.exitCode != 0, "a removal went ahead without being able to keep the token")
        #expect(removal.standardError.contains("too large"), "\(removal.standardError)")
        #expect(FileIdentity.of(settings.recoveredPath) == identity, "the unreadable file was written over")
        let store = try #require(try SecureFile.read(settings.accountsPath))
        #expect(try AccountsDocument(bytes: store.bytes).accounts.contains { $0.token.refreshToken == live.first }, "the account was removed")
    }

    @Test("after a store write that failed, the token kept unsaved is the one presented next, never the one it replaced (issue 18 item 4)")
    func rescuedTokenUsedNext() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.tearDown() }
        let settings = try Settings.resolve(qwenDir: fixture.qwenDir, environment: ProcessEnvironment([:]))
        let paths = [settings.accountsPath, settings.credentialsPath, settings.sidecarPath]
        let before = try paths.map { try #require(try SecureFile.read($0)).bytes }
        let refreshed = try await fixture.run(["refresh"])
        #expect(refreshed.exitCode == 0, "\(refreshed.standardError)")
        let renewed = try #require(try fixture.state().accounts.accounts.first).token
        // As if none of the store's writes had landed (a full disk) and the new tokens had been
        // kept by the last-resort write, naming the token they replace.
        for (path, bytes) in zip(paths, before) { try SecureFile.replace(path, with: bytes) }
        unlink(settings.rotationJournalPath)
        let accountID = try #require(try fixture.state().accounts.accounts.first).id
        var recovered = RecoveredTokens()
        recovered.keep(
            .init(
                accountID: accountID, label: nil, reason: "unsaved", savedAtMs: WallClock.nowMs(), token: renewed,
                replaces: TokenLedger.fingerprint(of: fixture.refreshToken)))
        try SecureFile.replace(settings.recoveredPath, with: recovered.encoded())

        let next = try await fixture.run(["refresh"])
        #expect(next.exitCode == 0, "\(next.standardError)")
        #expect(try fixture.server.counter("dead_token_reuse") == 0, "the superseded token was presented")
        try Self.expectTokenKept(fixture)
        let kept = try #require(try SecureFile.read(settings.recoveredPath))
        #expect(RecoveredTokens(bytes: kept.bytes).entries.isEmpty, "the rescued token was folded back into the store")
    }
}
