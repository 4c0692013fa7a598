@testable import QwenOAuth
import Testing

@Suite("Sanitizing server text")
struct SafeTextTests {
    @Test func tokenLikeRunsAndKnownSecretsAreRedacted() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
        let text = SafeText.sanitize("bad token \(jwt) and short-secret x", secrets: ["short-secret"])
        #expect(text == "bad token [redacted] and [redacted] x")
        #expect(SafeText.sanitize("Invalid refresh token or client_id") == "Invalid refresh token or client_id")
    }

    @Test func controlCharactersBecomeSpacesAndLengthIsCapped() {
        #expect(SafeText.sanitize("line one\nline\ttwo\u{1B}[31m") == "line one line two [31m")
        let long = String(repeating: "word ", count: 100)
        let capped = SafeText.sanitize(long)
        #expect(capped.count == SafeText.limit + 1)
        #expect(capped.hasSuffix("…"))
    }
}
