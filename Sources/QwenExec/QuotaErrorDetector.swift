/// Recognises quota errors in the CLI's error text (`docs/INTEROP.md`, "Quota errors").
public enum QuotaErrorDetector {
    /// The phrases that mark a quota error, lower-cased.
    static let phrases = [
        "insufficient_quota",
        "quota_exceeded",
        "quota exceeded",
        "free allocated quota exceeded",
        "exceeded your current quota",
    ]

    /// Whether `text` reports an exhausted quota (not a mere rate limit).
    public static func isQuotaError(_ text: String) -> Bool {
        let lowered = text.lowercased()
        return phrases.contains { lowered.contains($0) }
    }
}
