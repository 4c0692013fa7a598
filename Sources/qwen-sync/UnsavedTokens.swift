import Glibc
import QwenSyncCore

/// Tokens the server issued that could not be written into the qwen directory (a login whose
/// store write failed): kept outside it, in `$XDG_STATE_HOME/qwen-sync/qwen-sync-recovered.json`
/// (else `~/.local/state/qwen-sync/…`), 0600 in a 0700 directory, in the format of
/// `qwen-sync-recovered.json`. `qwen-sync accounts restore` lists and restores them once the
/// qwen directory is writable again.
enum UnsavedTokens {
    /// The file, or `nil` when neither `XDG_STATE_HOME` nor `HOME` gives an absolute directory.
    static func path(environment: ProcessEnvironment = .current) -> String? {
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") { return state + "/qwen-sync/qwen-sync-recovered.json" }
        if let home = environment["HOME"], home.hasPrefix("/") { return home + "/.local/state/qwen-sync/qwen-sync-recovered.json" }
        return nil
    }

    /// What is kept there (nothing when the file is missing or unreadable).
    static func read() -> RecoveredTokens {
        guard let path = path(), let contents = try? SecureFile.read(path) else { return RecoveredTokens() }
        return RecoveredTokens(bytes: contents.bytes)
    }

    /// Keeps `entry`.
    ///
    /// - Returns: the file it is kept in.
    /// - Throws: ``FileError`` when it cannot be written either.
    static func keep(_ entry: RecoveredTokens.Entry) throws(FileError) -> String {
        try update { $0.keep(entry) }
    }

    /// Removes and returns the newest entry of `accountID`, if one is kept.
    static func take(accountID: String) throws(FileError) -> RecoveredTokens.Entry? {
        var taken: RecoveredTokens.Entry?
        guard read().entries.contains(where: { $0.accountID == accountID }) else { return nil }
        _ = try update { taken = $0.take(accountID: accountID) }
        return taken
    }

    /// Changes the file as a compare-and-swap against the version read, retried from a fresh
    /// read when another process wrote it meanwhile.
    private static func update(_ change: (inout RecoveredTokens) -> Void) throws(FileError) -> String {
        guard let path = path() else { throw FileError(path: "~/.local/state", reason: "neither XDG_STATE_HOME nor HOME is set") }
        try SecureFile.ensureDirectory(PathNormalizer.directory(of: path))
        while true {
            let current = try SecureFile.read(path)
            var tokens = current.map { RecoveredTokens(bytes: $0.bytes) } ?? RecoveredTokens()
            change(&tokens)
            do {
                try SecureFile.replace(path, with: tokens.encoded(), expected: .matching(current?.identity))
                return path
            } catch {
                guard case .conflict = error else { throw error.fileError }  // a conflict: read again
            }
        }
    }
}
