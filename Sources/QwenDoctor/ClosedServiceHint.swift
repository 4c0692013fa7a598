import QwenSyncCore

/// What to add when the default OAuth host cannot be reached: the Qwen OAuth service was
/// discontinued (`docs/INTEROP.md`, "Status of the Qwen OAuth service"), so "could not resolve
/// host" alone sends the user looking for a network problem.
public enum ClosedServiceHint {
    /// The hint for a request to `baseURL` that got no HTTP answer, or `nil` when `baseURL` is
    /// not the default (another server's outage is that server's).
    public static func hint(baseURL: String) -> String? {
        var url = baseURL
        while url.hasSuffix("/") { url.removeLast() }
        guard url == Settings.defaultOAuthBaseURL else { return nil }
        return "the Qwen OAuth service at \(url) was discontinued on 2026-04-15 (docs/INTEROP.md, \"Status of the Qwen OAuth service\");"
            + " tokens issued before keep working until refused, and --oauth-base-url (QWEN_SYNC_OAUTH_BASE_URL) points at another server"
    }
}
