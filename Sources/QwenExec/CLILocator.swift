import Glibc
import QwenSyncCore

/// Finds the `qwen` executable: `$QWEN_CLI_PATH`, else `qwen` on `$PATH`.
public enum CLILocator {
    /// The absolute path of the CLI.
    ///
    /// - Parameter environment: where `QWEN_CLI_PATH` and `PATH` are read.
    /// - Throws: ``ExecFailure`` (exit 6) when no executable is found.
    public static func locate(environment: ProcessEnvironment) throws(ExecFailure) -> String {
        if let override = environment["QWEN_CLI_PATH"] {
            let path = override.contains("/") ? PathNormalizer.absolute(override) : search(override, environment: environment)
            guard let path, isExecutable(path) else {
                throw .cliFailed("cli_not_found", "QWEN_CLI_PATH=\(override) is not an executable file")
            }
            return path
        }
        guard let path = search("qwen", environment: environment) else {
            throw .cliFailed(
                "cli_not_found",
                "the qwen CLI is not on PATH (install it with `npm install -g @qwen-code/qwen-code` or set QWEN_CLI_PATH)"
            )
        }
        return path
    }

    /// The first executable `name` in the `PATH` directories.
    private static func search(_ name: String, environment: ProcessEnvironment) -> String? {
        let directories = (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
        for directory in directories where directory.hasPrefix("/") {
            let candidate = "\(directory)/\(name)"
            if isExecutable(candidate) { return candidate }
        }
        return nil
    }

    /// Whether `path` is a regular file this process may execute.
    private static func isExecutable(_ path: String) -> Bool {
        var status = stat()
        guard stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return false }
        return access(path, X_OK) == 0
    }
}
