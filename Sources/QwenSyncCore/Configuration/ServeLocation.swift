/// Where `qwen-sync serve` keeps its runtime files: beside the control socket, named after it
/// (`serve.sock` and `serve-counts.json` for the default qwen directory, `serve-<hash>.sock` and
/// `serve-counts-<hash>.json` for any other), so `status` and `doctor` find them without the
/// endpoint running.
public enum ServeLocation {
    /// The endpoint's Unix socket: `QWEN_SYNC_SERVE_SOCKET` when set, else beside the control socket.
    public static func socketPath(settings: Settings, environment: ProcessEnvironment) -> String {
        environment["QWEN_SYNC_SERVE_SOCKET"] ?? sibling(settings, prefix: "serve", suffix: ".sock")
    }

    /// The file the endpoint writes its counts to (see `ServeCounts` in QwenServe).
    public static func countsPath(settings: Settings) -> String {
        sibling(settings, prefix: "serve-counts", suffix: ".json")
    }

    /// The API key file TCP clients need (0600, created on the endpoint's first start).
    public static func keyPath(settings: Settings) -> String {
        settings.qwenDirectory + "/qwen-sync-serve.key"
    }

    private static func sibling(_ settings: Settings, prefix: String, suffix: String) -> String {
        let name = ControlSocketLocation.fileName(prefix, suffix, qwenDirectory: settings.qwenDirectory, isDefault: settings.qwenDirectoryIsDefault)
        return PathNormalizer.directory(of: settings.socketPath) + "/" + name
    }
}
