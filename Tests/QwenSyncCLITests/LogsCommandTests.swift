import Glibc
import Logging
import QwenSyncCore
import QwenSyncTestSupport
import QwenSystemd
import Testing

/// `qwen-sync logs` against a real systemd-journald, with entries written the way the daemon
/// and the CLI write them (``JournaldLogHandler``).
@Suite("qwen-sync logs against a real journald", .serialized)
struct LogsCommandTests {
    /// A fresh account id, so that entries of earlier runs never match.
    private static func uniqueAccount() -> String { "acct_logs_\(getpid())_\(UInt32.random(in: .min ... .max))" }

    /// Logs `entries` (event, message) for `account` through the journald handler and waits until
    /// the journal holds `total` entries for the account (by default, these).
    private static func write(_ entries: [(String, String)], account: String, total: Int? = nil, journald: JournaldFixture) async throws {
        let logger = Logger(label: "qwen-sync.test") { _ in JournaldLogHandler(metadataProvider: nil) }
        for (event, message) in entries {
            logger.info("\(message)", metadata: ["event": "\(event)", "account": "\(account)", "http_status": "200"])
        }
        let stored = try await journald.entries(matching: ["QWEN_ACCOUNT=\(account)"], atLeast: total ?? entries.count)
        try #require(stored.count == total ?? entries.count)
    }

    @Test(
        "lines, filters by event and account, -n, --since and a JSON array",
        .enabled(if: JournaldFixture.unavailableReason == nil, "needs root, journalctl and a journald to start")
    )
    func readsEntries() async throws {
        let journald = try await JournaldFixture()
        let account = Self.uniqueAccount()
        try await Self.write(
            [("refresh", "token refreshed"), ("switch", "switched\nsecond line"), ("refresh", "refreshed \u{1B}[31magain")],
            account: account, journald: journald)

        let all = try await runProduct("qwen-sync", ["logs", "--account", account])
        #expect(all.exitCode == 0, "\(all.standardError)")
        let lines = all.standardOutput.split(separator: "\n").map(String.init)
        try #require(lines.count == 4, "\(all.standardOutput)")
        #expect(lines[0].hasSuffix(" refresh \(account): token refreshed"))
        #expect(lines[0].prefix(19).allSatisfy { $0.isNumber || "-: ".contains($0) }, "starts with the local time: \(lines[0])")
        #expect(lines[1].hasSuffix(" switch \(account): switched"))
        #expect(lines[2] == "    second line")
        #expect(lines[3].hasSuffix(": refreshed \\u{1b}[31magain"), "control characters are escaped: \(lines[3])")

        let refreshes = try await runProduct("qwen-sync", ["logs", "--account", account, "--event", "refresh", "-n", "1"])
        #expect(refreshes.standardOutput.split(separator: "\n").count == 1)
        #expect(refreshes.standardOutput.contains("again"))

        let future = try await runProduct("qwen-sync", ["logs", "--account", account, "--since", "@\(WallClock.nowMs() / 1000 + 3600)"])
        #expect(future.exitCode == 0 && future.standardOutput.isEmpty)
        let recent = try await runProduct("qwen-sync", ["logs", "--account", account, "--since", "10m"])
        #expect(recent.standardOutput.split(separator: "\n").count == 4)

        let json = try await runProduct("qwen-sync", ["logs", "--account", account, "--json"])
        #expect(json.exitCode == 0)
        let documents = try #require(try JSON.parse(json.standardOutput).arrayValue).compactMap { $0.objectValue }
        try #require(documents.count == 3)
        #expect(documents[0]["event"] == "refresh")
        #expect(documents[0]["account"] == .string(account))
        #expect(documents[0]["message"] == "token refreshed")
        #expect(documents[0]["priority"] == 6)
        #expect(documents[0]["pid"] == .int(Int64(getpid())))
        #expect(documents[0]["fields"] == ["QWEN_HTTP_STATUS": "200"])
        #expect(documents[1]["message"] == "switched\nsecond line")
        #expect(documents[0]["time"]?.stringValue?.hasSuffix("Z") == true)

        let none = try await runProduct("qwen-sync", ["logs", "--account", account, "--event", "login", "--json"])
        #expect(none.exitCode == 0)
        #expect(try JSON.parse(none.standardOutput) == [])
    }

    @Test(
        "--follow prints entries as they arrive; with --json, one object per line",
        .enabled(if: JournaldFixture.unavailableReason == nil, "needs root, journalctl and a journald to start")
    )
    func follows() async throws {
        let journald = try await JournaldFixture()
        let account = Self.uniqueAccount()
        try await Self.write([("refresh", "before")], account: account, journald: journald)
        let follower = try ChildProcess(BuiltProducts.path(of: "qwen-sync"), ["logs", "--follow", "--json", "--account", account], stdout: nil)
        defer { follower.terminate() }
        let first = try #require(await follower.readLine(timeoutMs: 30_000), "the existing entry comes first")
        #expect(try JSON.parse(first).objectValue?["message"] == "before")

        try await Self.write([("cooldown", "after")], account: account, total: 2, journald: journald)
        let second = try #require(await follower.readLine(timeoutMs: 30_000), "the new entry arrives while following")
        let document = try #require(try JSON.parse(second).objectValue)
        #expect(document["message"] == "after" && document["event"] == "cooldown")
        #expect(follower.isRunning, "--follow keeps running")
        follower.signal(SIGTERM)
        #expect(await follower.waitForExit(timeoutMs: 30_000) == 128 + SIGTERM, "SIGTERM stops it, whatever mask the test runner passed down")
    }

    @Test("an unknown --since is refused before reading, naming the accepted forms")
    func badSince() async throws {
        let outcome = try await runProduct("qwen-sync", ["logs", "--since", "soonish"])
        // A usage error; its exit code (2) is checked for every command by the exit-code tests.
        #expect(outcome.exitCode != 0 && outcome.exitCode != 1)
        #expect(outcome.standardError.contains("2h ago"))
    }
}

@Suite("qwen-sync logs without a readable journal")
struct LogsWithoutJournalTests {
    static let setpriv: String? = ["/usr/bin/setpriv", "/bin/setpriv"].first { (path: String) in access(path, X_OK) == 0 }

    @Test(
        "exit 1 with one line that says no journal is readable, for a user who can read none",
        .enabled(if: geteuid() == 0 && setpriv != nil, "needs root and setpriv to run the command as nobody")
    )
    func noJournal() async throws {
        // nobody (65534) has no user journal and may not read the system journal, so this holds
        // whether or not a journald runs here.
        let outcome = try await runProduct(
            try #require(Self.setpriv),
            ["--reuid", "65534", "--regid", "65534", "--clear-groups", BuiltProducts.path(of: "qwen-sync"), "logs"]
        )
        #expect(outcome.exitCode == 1)
        #expect(outcome.standardError.split(separator: "\n").count == 1)
        #expect(outcome.standardError.contains("no systemd journal readable here"), Comment(rawValue: outcome.standardError))
        #expect(outcome.standardOutput.isEmpty)
    }
}
