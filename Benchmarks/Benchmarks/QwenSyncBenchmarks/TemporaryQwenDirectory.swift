import Glibc
import QwenSyncCore

/// A qwen dir in a fresh temporary directory holding a 50-account store and `oauth_creds.json`.
func makeQwenDirectory() throws -> CredentialStore {
    var template = Array("/tmp/qwen-sync-bench-XXXXXX".utf8CString)
    guard let path = mkdtemp(&template) else { throw BenchmarkSetupError(message: "mkdtemp failed: errno \(errno)") }
    let store = CredentialStore(settings: try Settings.resolve(qwenDir: String(cString: path), environment: ProcessEnvironment([:])))
    try store.transaction { state in
        state.accounts = Inputs.store(accounts: 50)
        state.credentials = Inputs.credentials(account: 0)
    }
    return store
}

/// Removes the directory `makeQwenDirectory()` made.
func removeQwenDirectory(_ store: CredentialStore) {
    let directory = store.settings.qwenDirectory
    for name in listDirectory(directory) { unlink(directory + "/" + name) }
    rmdir(directory)
}

private func listDirectory(_ path: String) -> [String] {
    guard let stream = opendir(path) else { return [] }
    defer { closedir(stream) }
    var names: [String] = []
    while let entry = readdir(stream) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name != ".", name != ".." { names.append(name) }
    }
    return names
}

struct BenchmarkSetupError: Error { let message: String }
