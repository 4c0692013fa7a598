import QwenSyncTestSupport
import Testing

/// `qwen-sync` refuses a bad OAuth base URL before it touches the network.
@Suite("qwen-sync: OAuth base URL checks (CLI)")
struct CLIOAuthBaseURLTests {
    @Test("the CLI: a bad --oauth-base-url is a usage error (2), a bad variable a failure (1), both before any network")
    func commandLine() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let environment: [String: String?] = ["QWEN_HOME": directory.appending("qwen"), "QWEN_SYNC_OAUTH_BASE_URL": nil]
        let flag = try await runProduct("qwen-sync", ["refresh", "--oauth-base-url", "chat.qwen.ai"], environment: environment)
        #expect(flag.exitCode == 2)
        #expect(flag.standardError.contains(#"--oauth-base-url: "chat.qwen.ai" has no scheme"#), "\(flag.standardError)")
        let before = try await runProduct("qwen-sync", ["--oauth-base-url", "http://chat.qwen.ai", "login", "--no-browser"], environment: environment)
        #expect(before.exitCode == 2)
        #expect(before.standardError.contains("would send tokens in clear"))

        var fromEnvironment = environment
        fromEnvironment["QWEN_SYNC_OAUTH_BASE_URL"] = "http://chat.qwen.ai"
        let variable = try await runProduct("qwen-sync", ["login", "--no-browser"], environment: fromEnvironment)
        #expect(variable.exitCode == 1)
        #expect(variable.standardError.split(separator: "\n").count == 1)
        #expect(variable.standardError.hasPrefix("qwen-sync: QWEN_SYNC_OAUTH_BASE_URL: "), "\(variable.standardError)")
        #expect(variable.standardOutput.isEmpty, "the login started: \(variable.standardOutput)")
    }
}
