import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// The OAuth base URL needs a scheme, and `https` unless the host is this machine.
@Suite("OAuth base URL rule")
struct OAuthBaseURLTests {
    @Test(
        "accepted URLs",
        arguments: [
            "https://chat.qwen.ai", "https://chat.qwen.ai/", "HTTPS://example.com:8443/base", "http://127.0.0.1:9000",
            "http://127.1.2.3", "http://localhost:8080", "http://LOCALHOST", "http://[::1]:9000/x",
        ])
    func accepted(_ url: String) {
        #expect(OAuthBaseURL.problem(with: url) == nil)
    }

    @Test(
        "refused URLs and why",
        arguments: [
            ("chat.qwen.ai", "has no scheme"), ("127.0.0.1:9000", "has no scheme"), ("://x", "has no scheme"),
            ("http://chat.qwen.ai", "would send tokens in clear"), ("http://128.0.0.1", "would send tokens in clear"),
            ("http://127.0.0.1.evil.com", "would send tokens in clear"), ("http://localhost.evil.com", "would send tokens in clear"),
            ("http://[::2]", "would send tokens in clear"), ("ftp://chat.qwen.ai", "must start with https://"),
            ("https://", "names no host"), ("https://:443", "names no host"), ("https://user:pw@chat.qwen.ai", "user name or password"),
        ])
    func refused(_ url: String, _ reason: String) {
        let problem = OAuthBaseURL.problem(with: url)
        #expect(problem?.contains(reason) == true, "\(url): \(problem ?? "accepted")")
    }

    @Test("settings refuse a bad URL from the environment or an argument, naming where it came from")
    func settings() throws {
        #expect(throws: SettingsError.self) {
            try Settings.resolve(qwenDir: "/d", environment: ProcessEnvironment(["QWEN_SYNC_OAUTH_BASE_URL": "http://example.com"]))
        }
        do {
            _ = try Settings.resolve(qwenDir: "/d", environment: ProcessEnvironment(["QWEN_SYNC_OAUTH_BASE_URL": "chat.qwen.ai"]))
            Issue.record("accepted a URL without a scheme")
        } catch {
            #expect(error.description.hasPrefix("QWEN_SYNC_OAUTH_BASE_URL: "))
        }
        let local = try Settings.resolve(qwenDir: "/d", environment: ProcessEnvironment(["QWEN_SYNC_OAUTH_BASE_URL": "http://127.0.0.1:7"]))
        #expect(local.oauthBaseURL == "http://127.0.0.1:7")
    }
}
