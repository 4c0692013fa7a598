/// The rule for the OAuth server's base URL: a scheme is required, and tokens travel in clear
/// only to this machine.
///
/// `https://host[:port][/path]` is accepted for any host; `http://` only for a loopback host
/// (`localhost`, `127.0.0.0/8`, `[::1]`), such as the `qwen-oauth-standin` test server.
public enum OAuthBaseURL {
    /// What is wrong with `text` as the OAuth base URL, or `nil` when it is acceptable.
    public static func problem(with text: String) -> String? {
        let shown = text.unicodeScalars.contains { $0.properties.generalCategory == .control } ? "the value" : "\"\(text)\""
        let pieces = text.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard pieces.count == 2, !pieces[0].isEmpty, pieces[0].allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }) else {
            return "\(shown) has no scheme; use https://HOST (for example https://chat.qwen.ai)"
        }
        let scheme = pieces[0].lowercased()
        guard scheme == "https" || scheme == "http" else {
            return "\(shown) must start with https:// (or http:// for a loopback host)"
        }
        let rest = pieces[1]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.contains("@") else { return "\(shown) must not contain a user name or password" }
        guard let host = host(of: Substring(authority)), !host.isEmpty,
            !host.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F })
        else {
            return "\(shown) names no host"
        }
        if scheme == "http" && !isLoopback(host) {
            return "\(shown) would send tokens in clear; use https:// (http:// is allowed only for localhost, 127.0.0.0/8 and [::1])"
        }
        return nil
    }

    /// The host of an authority (`host`, `host:port`, `[v6]:port`), without brackets.
    static func host(of authority: Substring) -> String? {
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            return String(authority[authority.index(after: authority.startIndex)..<close])
        }
        return String(authority.prefix { $0 != ":" })
    }

    /// Whether `host` is this machine: `localhost`, an IPv4 address in 127.0.0.0/8, or `::1`.
    public static func isLoopback(_ host: String) -> Bool {
        let lowered = host.lowercased()
        if lowered == "localhost" || lowered == "localhost." || lowered == "::1" { return true }
        let parts = lowered.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        let octets = parts.compactMap { part in part.count <= 3 && part.allSatisfy(\.isASCII) ? UInt8(part) : nil }
        return octets.count == 4 && octets[0] == 127
    }
}
