import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// Every CLI action that changes the files leaves one structured journal entry: the audit trail.
@Suite("CLI audit trail in journald", .serialized)
struct CLIAuditTrailTests {
    @Test(
        "import, rename, use, reset, refresh, login --account and remove each log one entry with QWEN_EVENT, QWEN_ACCOUNT, QWEN_SOURCE=cli and no token",
        .enabled(if: JournaldFixture.unavailableReason == nil, "needs root, journalctl and a running journald or /lib/systemd/systemd-journald")
    )
    func everyChangeIsLogged() async throws {
        let journald = try await JournaldFixture()
        let fixture = try await RefreshCommandTests.Fixture.make()  // runs `accounts import --label main`
        defer { fixture.tearDown() }
        let id = try #require(fixture.state().accounts.activeAccountID)
        for arguments in [
            ["accounts", "rename", "main", "primary"], ["accounts", "use", "primary"], ["accounts", "reset", id], ["refresh", id],
            ["login", "--no-browser", "--account", id], ["accounts", "remove", "--yes", id],
        ] {
            let outcome = try await fixture.run(arguments)
            #expect(outcome.exitCode == 0, "\(arguments): \(outcome.standardError)")
        }
        let entries = try await journald.entries(matching: ["SYSLOG_IDENTIFIER=qwen-sync", "QWEN_ACCOUNT=\(id)"], atLeast: 7)
        #expect(entries.map { $0["QWEN_EVENT"] ?? "?" } == ["import", "rename", "switch", "reset", "refresh", "login", "remove"])
        for entry in entries {
            #expect(entry["QWEN_SOURCE"] == "cli")
            #expect(entry["PRIORITY"] == "6")
            #expect(entry["MESSAGE"]?.isEmpty == false)
            for (name, value) in entry {
                #expect(!value.contains("SECRET") && !value.contains(fixture.refreshToken), "\(name) holds a token")
            }
        }
        #expect(entries.last?["MESSAGE"]?.contains("removed \(id) (\"primary\"") == true, "\(entries.last?["MESSAGE"] ?? "")")
    }
}
