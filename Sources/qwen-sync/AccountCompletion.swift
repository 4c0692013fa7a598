import ArgumentParser
import QwenSyncCore

/// Shell completion of account references: ids and labels from the accounts store.
///
/// Reads the files without locks and without a daemon (a completion must be fast), honours a
/// `--qwen-dir` already on the command line, and offers ids and labels only, never a token.
enum AccountCompletion {
    /// The completion kind for `ID|LABEL` arguments and options.
    static let kind = CompletionKind.custom { words, _, prefix in candidates(words: words, prefix: prefix) }

    /// The ids and labels starting with `prefix`.
    static func candidates(words: [String], prefix: String) -> [String] {
        var qwenDir: String?
        for (index, word) in words.enumerated() {
            if word == "--qwen-dir", index + 1 < words.count { qwenDir = words[index + 1] }
            if word.hasPrefix("--qwen-dir=") { qwenDir = String(word.dropFirst("--qwen-dir=".count)) }
        }
        guard let settings = try? Settings.resolve(qwenDir: qwenDir, environment: .current),
            let state = try? CredentialStore(settings: settings).read()
        else { return [] }
        var names: [String] = []
        for account in state.accounts.accounts {
            names.append(account.id)
            if let label = state.sidecar.label(of: account.id), !label.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                names.append(label)
            }
        }
        return names.filter { $0.hasPrefix(prefix) }
    }
}
