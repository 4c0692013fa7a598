import ArgumentParser
import QwenSyncCore

/// Shell completion of account references: ids and labels from the accounts store.
///
/// Reads the files without locks and without a daemon (a completion must be fast), honours a
/// `--qwen-dir` already on the command line, and offers ids and labels only, never a token.
enum AccountCompletion {
    /// The completion kind for `ID|LABEL` arguments and options.
    static let kind = CompletionKind.custom { words, _, prefix in candidates(words: words, prefix: prefix) }

    /// The completion kind for `accounts restore`: the ids and labels of kept tokens (in the
    /// qwen directory and those of unsaved logins) and of the accounts.
    static let keptKind = CompletionKind.custom { words, _, prefix in
        let kept = (state(words: words)?.recovered.entries ?? []) + UnsavedTokens.read().entries
        let names = kept.flatMap { [$0.accountID] + ($0.label.map { [$0] } ?? []) } + candidates(words: words, prefix: prefix)
        var seen = Set<String>()
        return names.filter { $0.hasPrefix(prefix) && printable($0) && seen.insert($0).inserted }
    }

    /// The ids and labels starting with `prefix`.
    static func candidates(words: [String], prefix: String) -> [String] {
        guard let state = state(words: words) else { return [] }
        var names: [String] = []
        for account in state.accounts.accounts {
            names.append(account.id)
            if let label = state.sidecar.label(of: account.id), printable(label) { names.append(label) }
        }
        return names.filter { $0.hasPrefix(prefix) }
    }

    /// The files as read without locks, honouring a `--qwen-dir` on the command line.
    private static func state(words: [String]) -> CredentialState? {
        var qwenDir: String?
        for (index, word) in words.enumerated() {
            if word == "--qwen-dir", index + 1 < words.count { qwenDir = words[index + 1] }
            if word.hasPrefix("--qwen-dir=") { qwenDir = String(word.dropFirst("--qwen-dir=".count)) }
        }
        guard let settings = try? Settings.resolve(qwenDir: qwenDir, environment: .current) else { return nil }
        return try? CredentialStore(settings: settings).read()
    }

    /// Whether a name can be offered to a shell (no control characters).
    private static func printable(_ name: String) -> Bool { !name.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F } }
}
