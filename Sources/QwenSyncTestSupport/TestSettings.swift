import QwenSyncCore

/// The settings for a qwen dir at `directory` as a process with an empty environment resolves
/// them: no `QWEN_HOME`, `QWEN_SYNC_OAUTH_BASE_URL` or other variable of the test's own
/// environment leaks in.
///
/// - Throws: `SettingsError` when `directory` is not usable as a qwen dir path.
public func settings(_ directory: String) throws -> Settings {
    try Settings.resolve(qwenDir: directory, environment: ProcessEnvironment([:]))
}
