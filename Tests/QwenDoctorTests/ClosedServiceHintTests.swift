import QwenDoctor
import Testing

/// The hint about the discontinued Qwen OAuth service (docs/INTEROP.md) comes with the default
/// host only. The real host is never contacted by a test, so the decision is tested directly.
@Suite("closed-service hint")
struct ClosedServiceHintTests {
    @Test("the default host gets the hint, another server does not")
    func defaultHostOnly() {
        #expect(ClosedServiceHint.hint(baseURL: "https://chat.qwen.ai")?.contains("discontinued on 2026-04-15") == true)
        #expect(ClosedServiceHint.hint(baseURL: "https://chat.qwen.ai/")?.contains("--oauth-base-url") == true)
        #expect(ClosedServiceHint.hint(baseURL: "http://127.0.0.1:8080") == nil)
        #expect(ClosedServiceHint.hint(baseURL: "https://proxy.example") == nil)
    }
}
