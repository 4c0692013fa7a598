/// The version of qwen-sync, shown by `--version` and reported by `status`.
public enum QwenSyncVersion {
    /// The release version string.
    public static let current = "0.1.0"
}
