import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// `status --check` judges the files as qwen-code and doctor do (issue 22): a missing
/// `refresh_token` or an unreadable accounts store fails it, even while a daemon answers.
@Suite("status --check judges the files")
struct StatusCheckFilesTests {
    struct Fixture {
        let directory: TemporaryDirectory
        var qwenDir: String { directory.appending("qwen") }
        var credentialsPath: String { qwenDir + "/oauth_creds.json" }
        var environment: [String: String?] { ["QWEN_HOME": qwenDir, "QWEN_SYNC_SOCKET": directory.appending("ctl.sock"), "NO_COLOR": "1"] }

        static func make() async throws -> Fixture {
            let fixture = Fixture(directory: try TemporaryDirectory())
            try SecureFile.ensureDirectory(fixture.qwenDir)
            let token = TestTokens.credentials(
                access: TestTokens.jwt(["sub": "user-1", "email": "user-1@example.com"]), refresh: "rt-SECRET-1", expiry: WallClock.nowMs() + 3_600_000)
            try CredentialsFile.write(token, to: fixture.credentialsPath)
            let imported = try await fixture.run(["accounts", "import", "--label", "main"])
            #expect(imported.exitCode == 0, "\(imported.standardError)")
            let check = try await fixture.run(["status", "--check"])
            #expect(check.exitCode == 0, "\(check.standardError)")
            return fixture
        }

        func run(_ arguments: [String]) async throws -> ProcessOutcome {
            try await runProduct("qwen-sync", arguments, environment: environment)
        }
    }

    @Test("oauth_creds.json without refresh_token fails the check like doctor, and the printed fix makes it pass")
    func missingRefreshToken() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.directory.remove() }
        let expiry = WallClock.nowMs() + 3_600_000
        try SecureFile.replace(
            fixture.credentialsPath, with: Array(#"{"access_token":"at-SECRET","token_type":"Bearer","expiry_date":\#(expiry)}"#.utf8))

        let check = try await fixture.run(["status", "--check"])
        #expect(check.exitCode == 1)
        #expect(check.standardError.contains("not usable by qwen-code"), "\(check.standardError)")
        #expect(!check.standardError.contains("SECRET"))
        let doctor = try await fixture.run(["doctor"])
        #expect(doctor.standardOutput.contains("[fail] \(fixture.credentialsPath) is not usable"), "\(doctor.standardOutput)")

        let parts = check.standardError.split(separator: "`", omittingEmptySubsequences: false)
        let fix = try #require(parts.count >= 3 ? parts[1].split(separator: " ").map(String.init) : nil)
        #expect(fix.first == "qwen-sync")
        let fixed = try await fixture.run(Array(fix.dropFirst()))
        #expect(fixed.exitCode == 0, "\(fixed.standardError)")
        let again = try await fixture.run(["status", "--check"])
        #expect(again.exitCode == 0, "\(again.standardError)")
    }

    @Test("an accounts store that cannot be read fails the check, even while a daemon answers from memory")
    func corruptStore() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.directory.remove() }
        let daemon = try ChildProcess(
            BuiltProducts.path(of: "qwen-sync"), ["daemon"], environment: fixture.environment, stderr: fixture.directory.appending("daemon.err"))
        #expect(await eventually { access(fixture.directory.appending("ctl.sock"), F_OK) == 0 }, "the daemon did not start")
        try SecureFile.replace(fixture.qwenDir + "/oauth_accounts.json", with: Array("{garbage".utf8))
        let check = try await fixture.run(["status", "--check"])
        _ = await daemon.stop()
        #expect(check.exitCode == 1)
        #expect(check.standardError.contains("not valid JSON"), "\(check.standardError)")
    }
}
