/// Recognises authentication failures in the CLI's error text.
enum AuthErrorDetector {
    /// Phrases of qwen-code's auth errors and HTTP 401 answers, lower-cased.
    static let phrases = [
        "api error: 401", "status 401", "http 401", "unauthorized", "invalid access token", "failed to authenticate", "authentication", "invalid_token",
    ]

    /// Whether `text` reports that the credentials were refused.
    static func isAuthError(_ text: String) -> Bool {
        let lowered = text.lowercased()
        return phrases.contains { lowered.contains($0) }
    }
}
